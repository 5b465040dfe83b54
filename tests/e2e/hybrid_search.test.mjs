// Dense and hybrid retrieval as a user runs them: pages indexed with `tachyon index add`, their
// passages embedded with `tachyon index embed` by the served test model, then `tachyon serve
// --retrieval dense|hybrid` answering POST /search through the npm Perplexity SDK. A query whose
// text is exactly what a passage was embedded from (title, blank line, text) has that page first
// in dense retrieval (cosine 1); hybrid fuses it with BM25; a server whose index was embedded by
// a model it does not serve answers 503 naming the model; `tachyon search eval --retrieval`
// scores all three modes on the same index.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Perplexity from '@perplexity-ai/perplexity_ai';
import { startServer, tempDataDir, tachyon, modelName, testModel } from './harness.mjs';

const pages = [
  { url: 'https://zoo.example/otters', title: 'Otters', text: 'Otters float on their backs and hold hands while they sleep.' },
  { url: 'https://zoo.example/owls', title: 'Owls', text: 'Owls turn their heads far around because their eyes cannot move.' },
  { url: 'https://garden.example/moss', title: 'Moss', text: 'Moss grows where the ground stays damp and the light is low.' },
  { url: 'https://garden.example/ferns', title: 'Ferns', text: 'Ferns spread by spores, not seeds, under the trees of old woods.' },
];
const quiet = { stdio: ['ignore', 'pipe', 'pipe'] };

let dataDir;
let dense;
let hybrid;
before(async () => {
  dataDir = tempDataDir();
  const file = path.join(dataDir, 'pages.jsonl');
  fs.writeFileSync(file, pages.map((p) => JSON.stringify(p)).join('\n') + '\n');
  tachyon(['index', 'add', '--quiet', '--data-dir', dataDir, file], quiet);
  tachyon(['index', 'embed', '--quiet', '--data-dir', dataDir, '--model', testModel, '--name', modelName], quiet);
  dense = await startServer(['--data-dir', dataDir, '--retrieval', 'dense']);
  hybrid = await startServer(['--data-dir', dataDir, '--retrieval', 'hybrid']);
});
after(async () => {
  await dense?.stop();
  await hybrid?.stop();
});

const client = (server) => new Perplexity({ baseURL: server.baseURL, apiKey: 'unused', maxRetries: 0 });

test('index stats reports the vectors and the model that made them', () => {
  const stats = JSON.parse(tachyon(['index', 'stats', '--json', '--data-dir', dataDir]));
  assert.equal(stats.passages, 4);
  assert.equal(stats.vectors, 4);
  assert.equal(stats.vector_model, modelName);
  assert.equal(stats.vector_dimensions, 256);
});

test('dense retrieval puts the page whose passage the query repeats first', async () => {
  for (const p of pages) {
    const search = await client(dense).search.create({ query: `${p.title}\n\n${p.text}`, max_results: 4 });
    assert.equal(search.results.length, 4);
    assert.equal(search.results[0].url, p.url);
    assert.equal(search.results[0].snippet, p.text);
  }
  // Filters hold in dense retrieval too.
  const filtered = await client(dense).search.create({
    query: `${pages[0].title}\n\n${pages[0].text}`, search_domain_filter: ['garden.example'],
  });
  assert.deepEqual(filtered.results.map((r) => r.url).sort(), [pages[2].url, pages[3].url].sort());
});

test('hybrid retrieval fuses the word and vector rankings', async () => {
  // The words name the owls; the vector is the otters passage's own: both lead.
  const search = await client(hybrid).search.create({ query: `${pages[0].title}\n\n${pages[0].text} owls eyes heads`, max_results: 4 });
  const top2 = search.results.slice(0, 2).map((r) => r.url).sort();
  assert.deepEqual(top2, [pages[0].url, pages[1].url].sort());
  const urls = search.results.map((r) => r.url);
  assert.equal(new Set(urls).size, urls.length, 'each page once');
});

test('an index embedded by a model the server does not serve gets 503 naming it', async () => {
  const other = tempDataDir();
  const file = path.join(other, 'pages.jsonl');
  fs.writeFileSync(file, JSON.stringify(pages[0]) + '\n');
  tachyon(['index', 'add', '--quiet', '--data-dir', other, file], quiet);
  tachyon(['index', 'embed', '--quiet', '--data-dir', other, '--model', testModel, '--name', 'absent-model'], quiet);
  const server = await startServer(['--data-dir', other, '--retrieval', 'hybrid']);
  try {
    const res = await fetch(`${server.baseURL}/search`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'otters' }),
    });
    assert.equal(res.status, 503);
    const body = await res.json();
    assert.match(body.error.message, /'absent-model'/);
  } finally {
    await server.stop();
  }
});

test('search eval scores bm25, dense and hybrid on the same index', () => {
  const set = path.join(dataDir, 'eval.json');
  fs.writeFileSync(set, JSON.stringify({
    queries: pages.map((p) => ({ query: `${p.title}\n\n${p.text}`, relevant: [p.url] })),
  }));
  for (const retrieval of ['bm25', 'dense', 'hybrid']) {
    const args = ['search', 'eval', '--json', '--data-dir', dataDir, '--set', set, '--retrieval', retrieval];
    if (retrieval !== 'bm25') args.push('--model', testModel);
    const report = JSON.parse(tachyon(args, quiet));
    assert.equal(report.retrieval, retrieval);
    assert.equal(report.queries, 4);
    assert.equal(report.mrr, 1, `${retrieval}: every page first for its own text`);
  }
});
