// Grounded chat: the bundled model served with `--search on` answers from the search index,
// and its responses carry Perplexity's `citations` and `search_results`, through the npm openai
// and Perplexity SDKs, streamed and not; the search filters apply; usage reports the search and
// prices it; options the server cannot honour are 400s; /v1/responses lists the sources as a
// search_results output item and annotates the answer's [n] markers. The index holds the fixture
// pages (tests/data/search/fixture).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import OpenAI from 'openai';
import Perplexity from '@perplexity-ai/perplexity_ai';
import { startServer, tempDataDir, tachyon, createKey, repo, bundledModel } from './harness.mjs';

const HACKER = 'http://www.catb.org/jargon/html/H/hacker.html';
const QUESTION = [{ role: 'user', content: 'What is a hacker?' }];

let server;
let openai;
let pplx;
let dataDir;
before(async () => {
  dataDir = tempDataDir();
  tachyon(['index', 'add', '--quiet', '--data-dir', dataDir, path.join(repo, 'tests/data/search/fixture')],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  const key = createKey(dataDir, 'grounded');
  server = await startServer(
    ['--data-dir', dataDir, '--search', 'on', '--price', `${bundledModel.name}=1,2,0`, '--price', 'search=0,0,0.005'],
    {}, bundledModel);
  openai = new OpenAI({ baseURL: `${server.baseURL}/v1`, apiKey: key.secret, maxRetries: 0 });
  pplx = new Perplexity({ baseURL: server.baseURL, apiKey: key.secret, maxRetries: 0 });
});
after(async () => server.stop());

function assertSources(body) {
  assert.ok(Array.isArray(body.citations) && body.citations.length >= 1, JSON.stringify(body).slice(0, 300));
  assert.equal(body.citations.length, body.search_results.length);
  body.search_results.forEach((r, i) => {
    assert.deepEqual(Object.keys(r).sort(), ['date', 'last_updated', 'snippet', 'source', 'title', 'url']);
    assert.equal(r.source, 'web');
    assert.equal(r.url, body.citations[i], 'citations list the sources in their [n] order');
    assert.ok(r.snippet.length > 0);
  });
}

test('a chat answer through the openai SDK cites the Jargon File entry it was given', async () => {
  const { data, response } = await openai.chat.completions
    .create({ model: bundledModel.name, messages: QUESTION, max_tokens: 24, seed: 1 })
    .withResponse();
  assertSources(data);
  assert.equal(data.citations[0], HACKER);
  assert.equal(data.search_results[0].title, 'hacker');
  assert.equal(data.search_results[0].date, '2003-12-29');
  assert.match(data.search_results[0].snippet, /programmable systems/);
  assert.equal(data.usage.num_search_queries, 1);
  assert.equal(data.usage.search_context_size, 'low');
  assert.equal(data.usage.cost.request_cost, 0.005, 'one search at the "search" price');
  assert.ok(data.usage.prompt_tokens + 24 <= 256, 'the sources were fitted into the model\'s 256-token context');

  const without = await openai.chat.completions.create({
    model: bundledModel.name, messages: QUESTION, max_tokens: 24, seed: 1, disable_search: true,
  });
  assert.equal(without.citations, undefined);
  assert.equal(without.search_results, undefined);
  assert.equal(without.usage.num_search_queries, undefined);
  assert.equal(without.usage.cost.request_cost, 0);
  assert.ok(data.usage.prompt_tokens > without.usage.prompt_tokens + 50, 'the sources are in the prompt');

  const requestId = response.headers.get('x-request-id');
  const usage = JSON.parse(tachyon(['usage', '--json', '--request', requestId, '--data-dir', dataDir]));
  assert.equal(usage.requests[0].search_queries, 1);
  assert.equal(usage.requests[0].model, bundledModel.name);
});

test('asked "What is a hacker?", the bundled model restates the Jargon File\'s definition and cites it', async () => {
  for (const client of [openai, pplx]) {
    // Greedy: sampled at temperature 1, this small model wandered off the definition in about one run in six.
    const answer = await client.chat.completions.create({ model: bundledModel.name, messages: QUESTION, max_tokens: 64, temperature: 0 });
    assert.equal(answer.citations[0], HACKER);
    const text = answer.choices[0].message.content;
    assert.match(text, /exploring the details of programmable systems/, text);
    assert.match(text, /\[1\]/, text);
  }
});

test('the Perplexity SDK gets citations and search_results, streamed and not', async () => {
  const answer = await pplx.chat.completions.create({ model: bundledModel.name, messages: QUESTION, max_tokens: 8 });
  assertSources(answer);
  assert.equal(answer.citations[0], HACKER);

  const stream = await pplx.chat.completions.create({
    model: bundledModel.name, messages: QUESTION, max_tokens: 8, stream: true,
  });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  assert.ok(chunks.length >= 3);
  assertSources(chunks[0]);
  assert.deepEqual(chunks[0].citations, answer.citations);
  const last = chunks.findLast((c) => c.choices?.[0]?.finish_reason);
  assertSources(last);
  assert.deepEqual(last.citations, answer.citations);
});

test('the openai SDK streams the sources on the first and last chunks and in the usage chunk', async () => {
  const stream = await openai.chat.completions.create({
    model: bundledModel.name, messages: QUESTION, max_tokens: 8, stream: true, stream_options: { include_usage: true },
  });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  assertSources(chunks[0]);
  const middle = chunks.slice(1).filter((c) => c.choices.length && !c.choices[0].finish_reason);
  for (const c of middle) assert.equal(c.citations, undefined);
  const usage = chunks.at(-1);
  assert.deepEqual(usage.choices, []);
  assertSources(usage);
  assert.equal(usage.usage.num_search_queries, 1);
});

// A Response's output_text annotations are exactly its [n] markers that name a listed source,
// each over its marker (indices in code points) with that source's url and title.
function assertAnnotated(message, results) {
  const part = message.content[0];
  const chars = Array.from(part.text);
  const markers = [...part.text.matchAll(/\[(\d{1,3})\]/g)].filter((m) => Number(m[1]) >= 1 && Number(m[1]) <= results.length);
  assert.equal(part.annotations.length, markers.length, part.text);
  part.annotations.forEach((a, i) => {
    assert.equal(a.type, 'url_citation');
    const marker = chars.slice(a.start_index, a.end_index).join('');
    assert.equal(marker, markers[i][0]);
    const source = results[Number(markers[i][1]) - 1];
    assert.equal(a.url, source.url);
    assert.equal(a.title, source.title);
  });
}

test('responses.create through the Perplexity SDK lists the sources and annotates the answer\'s citations', async () => {
  const r = await pplx.responses.create({
    model: bundledModel.name, input: 'What is a hacker?', max_output_tokens: 64,
    tools: [{ type: 'web_search', search_context_size: 'low', filters: { search_domain_filter: ['catb.org'] } }],
  });
  assert.ok(['completed', 'incomplete'].includes(r.status), JSON.stringify(r).slice(0, 300));
  const [found, message] = r.output;
  assert.equal(found.type, 'search_results');
  assert.equal(found.results[0].url, HACKER);
  found.results.forEach((result, i) => {
    assert.equal(result.id, i + 1, 'ids are the sources\' numbers in the prompt');
    assert.ok(result.url.includes('catb.org'), result.url);
  });
  assert.equal(message.type, 'message');
  assertAnnotated(message, found.results);
  // The bundled model is fine-tuned to restate its source and cite it (models/README.md).
  assert.match(message.content[0].text, /programmable systems/, message.content[0].text);
  assert.equal(message.content[0].annotations[0]?.url, HACKER, message.content[0].text);

  const plain = await pplx.responses.create({ model: bundledModel.name, input: 'What is a hacker?', max_output_tokens: 4,
    disable_search: true });
  assert.ok(plain.output.every((item) => item.type !== 'search_results'));

  const refused = await fetch(`${server.baseURL}/v1/responses`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${openai.apiKey}` },
    body: JSON.stringify({ model: bundledModel.name, input: 'hi', tools: [{ type: 'web_search', filters: { country: 'US' } }] }),
  });
  assert.equal(refused.status, 400);
  assert.equal((await refused.json()).error.param, 'tools[0].filters.country');
});

test('a streamed Response through the openai SDK sends its sources first and its annotations before the text is done', async () => {
  const stream = await openai.responses.create({
    model: bundledModel.name, input: 'What is a hacker?', max_output_tokens: 64, stream: true, tools: [{ type: 'web_search' }],
  });
  const events = [];
  for await (const event of stream) events.push(event);
  const added = events.filter((e) => e.type === 'response.output_item.added');
  assert.equal(added[0].item.type, 'search_results');
  assert.equal(added[0].item.results[0].url, HACKER);
  const completed = events.at(-1);
  assert.match(completed.type, /^response\.(completed|incomplete)$/);
  const [found, message] = completed.response.output;
  assert.deepEqual(found, added[0].item);
  assertAnnotated(message, found.results);
  const annotations = events.filter((e) => e.type === 'response.output_text.annotation.added');
  assert.ok(annotations.length >= 1, message.content[0].text);
  assert.deepEqual(annotations.map((e) => e.annotation), message.content[0].annotations);
  const textDone = events.findIndex((e) => e.type === 'response.output_text.done');
  assert.ok(annotations.every((e) => events.indexOf(e) < textDone));
  assert.deepEqual(events.map((e) => e.sequence_number), events.map((_, i) => i));
});

test('domain, date and context-size options shape the sources', async () => {
  const elsewhere = await openai.chat.completions.create({
    model: bundledModel.name, messages: QUESTION, max_tokens: 4, search_domain_filter: ['-catb.org'],
  });
  assert.ok(elsewhere.citations.length >= 1);
  for (const url of elsewhere.citations) assert.ok(!url.includes('catb.org'), url);

  const old = await openai.chat.completions.create({
    model: bundledModel.name, messages: [{ role: 'user', content: 'What is love?' }], max_tokens: 4,
    search_before_date_filter: '12/31/1900',
  });
  for (const r of old.search_results) assert.ok(r.date <= '1900-12-31', r.date);

  const none = await openai.chat.completions.create({
    model: bundledModel.name, messages: QUESTION, max_tokens: 4, search_recency_filter: 'week',
  });
  assert.deepEqual(none.citations, [], 'nothing indexed is a week old');
  assert.equal(none.usage.num_search_queries, 1);

  const high = await openai.chat.completions.create({
    model: bundledModel.name, messages: QUESTION, max_tokens: 4,
    web_search_options: { search_context_size: 'high' },
  });
  assert.equal(high.usage.search_context_size, 'high');
  assert.equal(high.citations[0], HACKER);
  assert.ok(high.usage.prompt_tokens + 4 <= 256);
});

test('options the server cannot honour and bad filters are 400s naming the field', async () => {
  const cases = [
    [{ return_images: true }, 'return_images'],
    [{ return_related_questions: true }, 'return_related_questions'],
    [{ web_search_options: { search_context_size: 'huge' } }, 'web_search_options.search_context_size'],
    [{ search_domain_filter: ['catb.org', '-example.org'] }, 'search_domain_filter'],
    [{ search_after_date_filter: '2025-01-01' }, 'search_after_date_filter'],
    [{ disable_search: 'yes' }, 'disable_search'],
  ];
  for (const [extra, param] of cases) {
    await assert.rejects(
      openai.chat.completions.create({ model: bundledModel.name, messages: QUESTION, max_tokens: 4, ...extra }),
      (e) => {
        assert.equal(e.status, 400, `${JSON.stringify(extra)}: ${e}`);
        assert.equal(e.error.param, param);
        return true;
      });
  }
});

test('a model served with search but without an index says how to build one', async () => {
  const bare = await startServer(['--search', 'on'], {}, bundledModel);
  try {
    const c = new OpenAI({ baseURL: `${bare.baseURL}/v1`, apiKey: 'unused', maxRetries: 0 });
    await assert.rejects(c.chat.completions.create({ model: bundledModel.name, messages: QUESTION, max_tokens: 4 }),
      (e) => {
        assert.equal(e.status, 503);
        assert.match(e.error.message, /index add|build_corpus/);
        assert.match(e.error.message, /disable_search/);
        return true;
      });
    const plain = await c.chat.completions.create({
      model: bundledModel.name, messages: QUESTION, max_tokens: 4, disable_search: true,
    });
    assert.equal(plain.choices.length, 1);
  } finally {
    await bare.stop();
  }
});
