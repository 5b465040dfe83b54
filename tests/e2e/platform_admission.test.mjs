// Admission at the door: a key's request limit is taken when a request arrives, before its body
// is parsed, so a key over its limit gets 429 for a body that would be a 400 and costs the
// server no parsing, templating or tokenizing; /tokenize and /detokenize count like every
// endpoint that works for the key. A key hammering past its limit leaves at most
// 10 usage rows a minute; the rest of its refusals are counted (`rate_limited_without_rows`),
// and every refusal is one or the other.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { startServer, createKey, tempDataDir, tachyon, modelName } from './harness.mjs';

const adminKey = 'admin-e2e-admission-0123456789';
let server;
let dataDir;
let key;
before(async () => {
  dataDir = path.join(tempDataDir(), 'data');
  key = createKey(dataDir, 'three-per-minute', ['--rpm', '3']);
  server = await startServer(['--data-dir', dataDir], { TACHYON_ADMIN_KEY: adminKey });
});
after(async () => server?.stop());

async function post(route, body, requestId) {
  const headers = { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' };
  if (requestId) headers['x-request-id'] = requestId;
  const r = await fetch(`${server.baseURL}${route}`, { method: 'POST', headers, body });
  return { status: r.status, headers: r.headers, body: await r.text() };
}

async function rowsOf(requestId) {
  const r = await fetch(`${server.baseURL}/admin/usage?request_id=${encodeURIComponent(requestId)}`,
    { headers: { authorization: `Bearer ${adminKey}` } });
  assert.equal(r.status, 200);
  return (await r.json()).requests;
}

test('a key over its request limit is refused before its body is read, on every endpoint that works for it', async () => {
  const tokenize = JSON.stringify({ model: modelName, content: 'Hello world' });
  assert.equal((await post('/tokenize', tokenize)).status, 200);
  assert.equal((await post('/detokenize', JSON.stringify({ model: modelName, tokens: [1, 2] }))).status, 200);
  // Invalid JSON while the key has room: a 400 that takes one of its requests.
  const invalid = await post('/v1/chat/completions', '{"model": ');
  assert.equal(invalid.status, 400, invalid.body);
  for (const [route, body] of [['/tokenize', tokenize], ['/v1/chat/completions', '{"model": '],
    ['/v1/completions', 'x'.repeat(1 << 20)], ['/search', '{}'], ['/v1/embeddings', '[]']]) {
    const r = await post(route, body);
    assert.equal(r.status, 429, `${route}: ${r.body}`);
    assert.equal(JSON.parse(r.body).error.code, 'rate_limit_exceeded');
    assert.ok(Number(r.headers.get('retry-after')) >= 1, route);
    assert.equal(r.headers.get('x-ratelimit-remaining-requests'), '0', route);
  }
});

test('hammering past the limit: at most 10 refusal rows a minute, the rest counted, none lost', async () => {
  const before = JSON.parse(tachyon(['usage', '--json', '--key', key.id, '--data-dir', dataDir]));
  const ids = Array.from({ length: 60 }, () => `hammer-${randomUUID()}`);
  const body = JSON.stringify({ model: modelName, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2 });
  const started = Date.now();
  const statuses = await Promise.all(ids.map(async (id) => (await post('/v1/chat/completions', body, id)).status));
  const minutes = Math.floor((Date.now() - started) / 60000) + 2;  // minute boundaries the burst may span
  assert.deepEqual(new Set(statuses), new Set([429]));
  let itemized = 0;
  for (const id of ids) {
    const rows = await rowsOf(id);
    assert.ok(rows.length <= 1, id);
    if (rows.length === 1) {
      assert.equal(rows[0].status, 429);
      assert.equal(rows[0].key_id, key.id);
      ++itemized;
    }
  }
  // Counts are committed with the recorder's next batch, just after their refusals are sent.
  let after;
  let counted;
  for (let tries = 0; tries < 50; ++tries) {
    after = JSON.parse(tachyon(['usage', '--json', '--key', key.id, '--data-dir', dataDir]));
    counted = after.rate_limited_without_rows - before.rate_limited_without_rows;
    if (itemized + counted >= 60) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  console.log(`figure: 60 refusals of one key: ${itemized} rows, ${counted} counted`);
  assert.ok(itemized <= 10 * minutes, `${itemized} rows`);
  assert.equal(itemized + counted, 60);
  assert.equal(after.totals.requests, before.totals.requests);  // refusals are never billed
});
