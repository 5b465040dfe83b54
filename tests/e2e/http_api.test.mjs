// Raw HTTP against tachyon (curl and fetch): health, readiness, metrics, tokenize, and every kind
// of bad input answered with the OpenAI error shape and the right status, the server staying up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, modelName } from './harness.mjs';

let server;
before(async () => { server = await startServer(['--ctx', '256']); });
after(async () => server.stop());

function curl(args) {
  return execFileSync('curl', ['-s', '-w', '\n%{http_code}', ...args], { encoding: 'utf8' });
}

async function post(path, body, headers = {}) {
  const r = await fetch(server.baseURL + path, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: r.status, headers: r.headers, json: await r.json().catch(() => null) };
}

function assertError(r, status, param) {
  assert.equal(r.status, status, JSON.stringify(r.json));
  assert.ok(r.json.error, 'error object');
  for (const k of ['message', 'type', 'param', 'code']) assert.ok(k in r.json.error, `error.${k}`);
  assert.equal(typeof r.json.error.message, 'string');
  if (param !== undefined) assert.equal(r.json.error.param, param);
}

test('curl: health, ready, models, chat', () => {
  assert.match(curl([`${server.baseURL}/health`]), /200$/);
  assert.match(curl([`${server.baseURL}/ready`]), /200$/);
  assert.match(curl([`${server.baseURL}/v1/models`]), new RegExp(`"${modelName}"[\\s\\S]*200$`));
  const out = curl(['-H', 'Content-Type: application/json', '-H', 'X-Request-ID: abc-123', '-D', '-',
    '-d', JSON.stringify({ model: modelName, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 4 }),
    `${server.baseURL}/v1/chat/completions`]);
  assert.match(out, /x-request-id: abc-123/i);
  assert.match(out, /"chat\.completion"/);
  assert.match(out, /200$/);
});

test('curl: streaming ends with [DONE]', () => {
  const out = curl(['-N', '-H', 'Content-Type: application/json', '-d',
    JSON.stringify({ model: modelName, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 4, stream: true }),
    `${server.baseURL}/chat/completions`]);
  assert.match(out, /data: \[DONE\]\n\n\n200$/);
});

test('metrics in Prometheus text format', async () => {
  const text = await (await fetch(`${server.baseURL}/metrics`)).text();
  for (const name of ['tachyon_http_requests_total', 'tachyon_time_to_first_token_seconds', 'tachyon_inter_token_latency_seconds',
    'tachyon_e2e_request_latency_seconds', 'tachyon_request_queue_time_seconds', 'tachyon_prompt_tokens_total',
    'tachyon_generation_tokens_total', 'tachyon_num_requests_running', 'tachyon_num_requests_waiting',
    'tachyon_kv_cache_usage_ratio', 'tachyon_prefix_cache_hit_rate']) {
    assert.ok(text.includes(name), name);
  }
});

test('tokenize and detokenize round-trip', async () => {
  const t = await post('/tokenize', { content: 'Hello world' });
  assert.equal(t.status, 200);
  assert.ok(t.json.tokens.length > 0);
  const d = await post('/detokenize', { tokens: t.json.tokens });
  assert.equal(d.json.content.trim(), 'Hello world');
});

test('bad input gets the right error and the server stays up', async () => {
  assertError(await post('/v1/chat/completions', '{"model": "x", "messages": ['), 400);
  assertError(await post('/v1/chat/completions', { model: modelName, messages: 'hi' }), 400, 'messages');
  assertError(await post('/v1/chat/completions', { model: modelName, messages: [] }), 400, 'messages');
  assertError(await post('/v1/chat/completions', { model: modelName, messages: [{ role: 'user', content: 'x' }], temperature: 'hot' }), 400, 'temperature');
  assertError(await post('/v1/chat/completions', { model: modelName, messages: [{ role: 'user', content: 'x' }], max_tokens: 100000 }), 400);
  assertError(await post('/v1/chat/completions', { model: modelName, messages: [{ role: 'user', content: 'word '.repeat(2000) }] }), 400);
  assertError(await post('/v1/chat/completions', { model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }), 404, 'model');
  assertError(await post('/v1/chat/completions', { model: modelName, messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_schema', json_schema: {} } }), 400, 'response_format');
  const huge = await fetch(`${server.baseURL}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(9 << 20) }).catch((e) => e);
  if (!(huge instanceof Error)) assert.equal(huge.status, 413);
  const unknown = await fetch(`${server.baseURL}/v2/nothing`);
  assert.equal(unknown.status, 404);
  assert.equal((await fetch(`${server.baseURL}/health`)).status, 200);
});
