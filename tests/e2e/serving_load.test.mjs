// Serving under load: batch invariance (16 concurrent requests give exactly the tokens they give
// alone), 64 streaming clients plus 500 idle keep-alive connections, KV blocks freed when a client
// disconnects mid-stream, and 429 with Retry-After when the waiting queue is full.
// Streams are sampled from a random-weight model, so their text is arbitrary: see sse.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import { startServer, modelName, metricValue, sleep, postJson } from './harness.mjs';
import { assertCompletedStream, sseData } from './sse.mjs';

let server;
before(async () => { server = await startServer(['--max-running', '16', '--max-batch-tokens', '96']); });
after(async () => server.stop());

const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });

const request = (path, body) => postJson(`${server.baseURL}${path}`, body, agent);

function completionBody(i, sampled) {
  const prompt = `Story ${i}: ` + 'the quick brown fox jumps over the lazy dog '.repeat(1 + (i % 5));
  return sampled
    ? { model: modelName, prompt, max_tokens: 20, temperature: 0.9, top_k: 40, seed: 100 + i, ignore_eos: true }
    : { model: modelName, prompt, max_tokens: 20, temperature: 0, ignore_eos: true };
}

for (const sampled of [false, true]) {
  test(`batch invariance: 16 concurrent ${sampled ? 'seeded' : 'greedy'} requests equal the same requests one at a time`, async () => {
    const alone = [];
    for (let i = 0; i < 16; i++) alone.push(JSON.parse((await request('/v1/completions', completionBody(i, sampled))).text).choices[0].text);
    const together = await Promise.all(Array.from({ length: 16 }, (_, i) => request('/v1/completions', completionBody(i, sampled))));
    together.forEach((r, i) => assert.equal(JSON.parse(r.text).choices[0].text, alone[i], `request ${i}`));
  });
}

// The 64 streams below draw 512 tokens from a 10k vocabulary that holds the piece "error"; its
// chunk reads "content":"error", so a search of the raw body for "error" failed about one run in 20.
test('a streamed token whose text is "error" is content, not an error event', async () => {
  const { tokens } = JSON.parse((await request('/tokenize', { content: '"error"' })).text);
  const pieces = await Promise.all(tokens.map(async (t) => JSON.parse((await request('/detokenize', { tokens: [t] })).text).content));
  const error = tokens[pieces.indexOf('error')];
  assert.ok(error !== undefined, `no "error" piece in ${JSON.stringify(pieces)}`);
  const r = await request('/v1/chat/completions', {
    model: modelName, messages: [{ role: 'user', content: 'Hello' }], max_tokens: 3, stream: true,
    temperature: 0, logit_bias: { [error]: 100 },
  });
  assert.ok(r.text.includes('"content":"error"'), r.text);
  assertCompletedStream(r);
  const text = sseData(r.text).slice(0, -1).map((d) => JSON.parse(d).choices[0].delta.content ?? '').join('');
  assert.equal(text, 'errorerrorerror');
});

test('64 streaming clients and 500 idle keep-alive connections', async () => {
  const idle = [];
  for (let i = 0; i < 500; i++) {
    idle.push(await new Promise((resolve, reject) => {
      const s = net.connect(server.port, '127.0.0.1', () => resolve(s));
      s.on('error', reject);
    }));
  }
  const streams = await Promise.all(Array.from({ length: 64 }, (_, i) => request('/v1/chat/completions', {
    model: modelName, messages: [{ role: 'user', content: `Hello ${i}` }], max_tokens: 8, stream: true,
  })));
  for (const r of streams) assertCompletedStream(r);
  const health = await fetch(`${server.baseURL}/health`);
  assert.equal(health.status, 200);
  for (const s of idle) s.destroy();
});

test('a client that disconnects mid-stream frees its KV blocks', async () => {
  const metrics = async () => (await fetch(`${server.baseURL}/metrics`)).text();
  const freeBefore = metricValue(await metrics(), 'tachyon_kv_cache_free_blocks');
  await new Promise((resolve, reject) => {
    const data = JSON.stringify({ model: modelName, prompt: 'long story '.repeat(50), max_tokens: 500, ignore_eos: true, stream: true });
    const req = http.request(`${server.baseURL}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let chunks = 0;
      res.on('data', () => { if (++chunks === 3) { req.destroy(); resolve(); } });
    });
    req.on('error', () => {});
    req.end(data);
    setTimeout(() => reject(new Error('no stream')), 30000);
  });
  let running = 1;
  let freeAfter = -1;
  for (let i = 0; i < 100 && (running !== 0 || freeAfter !== freeBefore); i++) {
    await sleep(50);
    const text = await metrics();
    running = metricValue(text, 'tachyon_num_requests_running');
    freeAfter = metricValue(text, 'tachyon_kv_cache_free_blocks');
  }
  assert.equal(running, 0);
  assert.equal(freeAfter, freeBefore);
});

test('a full waiting queue answers 429 with Retry-After', async () => {
  const small = await startServer(['--max-running', '1', '--max-waiting', '1']);
  try {
    const body = JSON.stringify({ model: modelName, prompt: 'x', max_tokens: 200, ignore_eos: true });
    const results = await Promise.all(Array.from({ length: 8 }, () => fetch(`${small.baseURL}/v1/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body,
    }).then(async (r) => ({ status: r.status, retry: r.headers.get('retry-after'), json: await r.json() }))));
    const rejected = results.filter((r) => r.status === 429);
    assert.ok(rejected.length >= 1, JSON.stringify(results.map((r) => r.status)));
    assert.ok(rejected[0].retry);
    assert.equal(rejected[0].json.error.type, 'rate_limit_error');
    assert.ok(results.some((r) => r.status === 200));
  } finally {
    await small.stop();
  }
});
