// Perplexity's Search API (POST /search) through the npm Perplexity SDK: results over an index
// built with `tachyon index add`, filters, refusals, the usage row, and a server without an index.
// The index holds the fixture pages (tests/data/search/fixture, shaped like the default corpus's
// pages) and, when scripts/build_corpus.sh has already built it in ./tachyon-data, the whole
// default corpus too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Perplexity from '@perplexity-ai/perplexity_ai';
import { startServer, tempDataDir, tachyon, createKey, repo } from './harness.mjs';

const HACKER = 'http://www.catb.org/jargon/html/H/hacker.html';
const fixture = path.join(repo, 'tests/data/search/fixture');
const defaultCorpus = path.join(repo, 'tachyon-data/corpus/default_corpus.jsonl');

let server;
let client;
let dataDir;
before(async () => {
  dataDir = tempDataDir();
  const sources = fs.existsSync(defaultCorpus) ? [defaultCorpus, fixture] : [fixture];
  tachyon(['index', 'add', '--quiet', '--data-dir', dataDir, ...sources], { stdio: ['ignore', 'pipe', 'pipe'] });
  const key = createKey(dataDir, 'search');
  server = await startServer(['--data-dir', dataDir]);
  client = new Perplexity({ baseURL: server.baseURL, apiKey: key.secret, maxRetries: 0 });
});
after(async () => server.stop());

function assertResult(r) {
  assert.deepEqual(Object.keys(r).sort(), ['date', 'last_updated', 'snippet', 'title', 'url']);
  assert.equal(typeof r.title, 'string');
  assert.match(r.url, /^(https?|file):\/\//);
  assert.equal(typeof r.snippet, 'string');
  for (const d of [r.date, r.last_updated]) assert.ok(d === null || /^\d{4}-\d{2}-\d{2}$/.test(d), String(d));
}

test('search.create finds the Jargon File entry for "hacker" first', async () => {
  const search = await client.search.create({ query: 'What is a hacker?' });
  assert.equal(typeof search.id, 'string');
  assert.equal(search.server_time, null);
  assert.ok(search.results.length >= 3 && search.results.length <= 10);
  search.results.forEach(assertResult);
  assert.equal(search.results[0].url, HACKER);
  assert.equal(search.results[0].title, 'hacker');
  assert.equal(search.results[0].date, '2003-12-29');
  assert.match(search.results[0].snippet, /programmable systems/);
  const urls = search.results.map((r) => r.url);
  assert.equal(new Set(urls).size, urls.length, 'each page once');
});

test('a list of queries gets one result list per query', async () => {
  const search = await client.search.create({ query: ['What is a hacker?', 'cynic'], max_results: 3 });
  assert.equal(search.results.length, 2);
  assert.equal(search.results[0][0].url, HACKER);
  assert.equal(search.results[1][0].url, 'https://www.gutenberg.org/ebooks/972#cynic');
  for (const list of search.results) assert.ok(list.length <= 3);
});

test('domain filters include or exclude sites', async () => {
  const only = await client.search.create({ query: 'hacker', search_domain_filter: ['example.org'] });
  assert.deepEqual(only.results.map((r) => r.url), ['https://example.org/notes/hacker-culture']);
  const without = await client.search.create({ query: 'What is a hacker?', search_domain_filter: ['-catb.org'] });
  assert.ok(without.results.length > 0);
  for (const r of without.results) assert.ok(!r.url.includes('catb.org'), r.url);
});

test('date, recency and language filters', async () => {
  const after2020 = await client.search.create({ query: 'hacker', search_after_date_filter: '1/1/2020' });
  assert.ok(after2020.results.length >= 1);
  for (const r of after2020.results) assert.ok(r.date >= '2020-01-01', r.date);
  const before1900 = await client.search.create({ query: 'love', search_before_date_filter: '12/31/1900' });
  for (const r of before1900.results) assert.ok(r.date <= '1900-12-31', r.date);
  const updated = await client.search.create({
    query: 'hacker', last_updated_after_filter: '1/1/2025', last_updated_before_filter: '1/31/2025',
  });
  assert.deepEqual(updated.results.map((r) => r.url), ['https://example.org/notes/hacker-culture']);
  const recent = await client.search.create({ query: 'hacker', search_recency_filter: 'week' });
  assert.deepEqual(recent.results, []);
  const french = await client.search.create({ query: 'hacker', search_language_filter: ['fr'] });
  assert.deepEqual(french.results.map((r) => r.url), ['https://exemple.fr/pirate']);
});

test('max_results and token limits', async () => {
  const two = await client.search.create({ query: 'hacker', max_results: 2, max_tokens_per_page: 8, display_server_time: true });
  assert.equal(two.results.length, 2);
  for (const r of two.results) assert.ok(r.snippet.split(/\s+/).length <= 6, r.snippet);
  assert.match(two.server_time, /^\d{4}-\d{2}-\d{2}T/);
  const budget = await client.search.create({ query: 'hacker', max_results: 5, max_tokens: 20 });
  const words = budget.results.map((r) => (r.snippet ? r.snippet.split(/\s+/).length : 0));
  assert.ok(words.reduce((a, b) => a + b, 0) <= 15, String(words));
});

test('invalid requests get 400s naming the parameter', async () => {
  const cases = [
    [{ query: '' }, 'query'],
    [{ query: ['a', 'b', 'c', 'd', 'e', 'f'] }, 'query'],
    [{ query: 'x'.repeat(10 * 1024) }, 'query'],
    [{ query: 'hacker', max_results: 0 }, 'max_results'],
    [{ query: 'hacker', max_results: 21 }, 'max_results'],
    [{ query: 'hacker', search_domain_filter: ['catb.org', '-example.org'] }, 'search_domain_filter'],
    [{ query: 'hacker', search_domain_filter: Array.from({ length: 21 }, (_, i) => `d${i}.com`) }, 'search_domain_filter'],
    [{ query: 'hacker', search_recency_filter: 'decade' }, 'search_recency_filter'],
    [{ query: 'hacker', search_after_date_filter: '2025-01-01' }, 'search_after_date_filter'],
    [{ query: 'hacker', last_updated_before_filter: '2/30/2025' }, 'last_updated_before_filter'],
    [{ query: 'hacker', search_language_filter: ['english'] }, 'search_language_filter'],
    [{ query: 'hacker', max_tokens_per_page: 0 }, 'max_tokens_per_page'],
  ];
  for (const [body, param] of cases) {
    await assert.rejects(client.search.create(body), (e) => {
      assert.ok(e instanceof Perplexity.BadRequestError, `${JSON.stringify(body).slice(0, 80)}: ${e}`);
      assert.equal(e.error.error.param, param);
      assert.equal(e.error.error.type, 'invalid_request_error');
      return true;
    });
  }
});

test('the API key is required, and each search leaves a usage row', async () => {
  const anonymous = new Perplexity({ baseURL: server.baseURL, apiKey: 'tk-wrong', maxRetries: 0 });
  await assert.rejects(anonymous.search.create({ query: 'hacker' }), (e) => e instanceof Perplexity.AuthenticationError);
  const { data, response } = await client.search.create({ query: ['hacker', 'wizard'] }).withResponse();
  assert.equal(data.results.length, 2);
  const requestId = response.headers.get('x-request-id');
  assert.ok(requestId);
  const usage = JSON.parse(tachyon(['usage', '--json', '--request', requestId, '--data-dir', dataDir]));
  assert.equal(usage.requests.length, 1);
  const row = usage.requests[0];
  assert.equal(row.endpoint, '/search');
  assert.equal(row.model, 'search');
  assert.equal(row.status, 200);
  assert.equal(row.search_queries, 2);
});

test('a server without an index answers 503 saying how to build one', async () => {
  const bare = await startServer();
  try {
    const c = new Perplexity({ baseURL: bare.baseURL, apiKey: 'unused', maxRetries: 0 });
    await assert.rejects(c.search.create({ query: 'hacker' }), (e) => {
      assert.equal(e.status, 503);
      assert.match(e.error.error.message, /build_corpus\.sh/);
      assert.match(e.error.error.message, /tachyon index add/);
      return true;
    });
  } finally {
    await bare.stop();
  }
});
