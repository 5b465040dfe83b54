// Per-key rate limits through the real Perplexity SDK: with a key limited to 20 requests per
// minute, 23 requests sent at once get 20 answers at once and the other 3 through the SDK's own
// retries, which honour Retry-After (one request refills every 3 s); the raw response shows the request id and consistent
// x-ratelimit-* headers in both forms.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Perplexity from '@perplexity-ai/perplexity_ai';
import { startServer, createKey, tempDataDir, tachyon, modelName } from './harness.mjs';

let server;
let dataDir;
let key;
before(async () => {
  dataDir = path.join(tempDataDir(), 'data');
  key = createKey(dataDir, 'twenty-per-minute', ['--rpm', '20']);
  server = await startServer(['--data-dir', dataDir]);
});
after(async () => server?.stop());

// "6m0s", "12s", "250ms" to milliseconds.
function durationMs(text) {
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|h|m|s)/g)) ms += Number(n) * { ms: 1, s: 1000, m: 60000, h: 3600000 }[unit];
  return ms;
}

test('23 requests at once on a 20 rpm key: 20 at once, all 23 through the SDK retries within 20 s', { timeout: 60000 }, async () => {
  const client = new Perplexity({ baseURL: server.baseURL, apiKey: key.secret, maxRetries: 3 });
  const start = Date.now();
  const results = await Promise.all(Array.from({ length: 23 }, async () => {
    const { data, response } = await client.chat.completions
      .create({ model: modelName, messages: [{ role: 'user', content: 'Hello' }], max_tokens: 3 })
      .withResponse();
    return { data, headers: response.headers, ms: Date.now() - start };
  }));
  const times = results.map((r) => r.ms).sort((a, b) => a - b);
  // The 21st request can be admitted only once a request has refilled: 3 s after the burst.
  assert.equal(times.filter((t) => t < 2700).length, 20, `completion times ${times}`);
  assert.ok(times[22] < 20000, `completion times ${times}`);
  for (const { data, headers } of results) {
    assert.equal(data.object, 'chat.completion');
    assert.match(headers.get('x-request-id'), /^\S+$/);
    assert.equal(headers.get('x-ratelimit-limit-requests'), '20');
    assert.equal(headers.get('X-RateLimit-Limit'), '20');
    const remaining = Number(headers.get('x-ratelimit-remaining-requests'));
    assert.ok(remaining >= 0 && remaining < 20);
    assert.equal(headers.get('X-RateLimit-Remaining'), String(remaining));
    const resetMs = durationMs(headers.get('x-ratelimit-reset-requests'));
    assert.ok(resetMs > 0 && resetMs <= 60000, headers.get('x-ratelimit-reset-requests'));
    assert.equal(Number(headers.get('X-RateLimit-Reset')), Math.ceil(resetMs / 1000));
    assert.equal(headers.get('x-ratelimit-limit-tokens'), null);  // no token limit on this key
  }
  // Every refusal is recorded, but only the 23 answers are billed.
  const usage = JSON.parse(tachyon(['usage', '--json', '--key', key.id, '--data-dir', dataDir]));
  assert.equal(usage.totals.requests, 23);
});

test('429 carries rate_limit_exceeded, Retry-After and retry-after-ms', async () => {
  const r = await fetch(`${server.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: modelName, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2 }),
  });
  assert.equal(r.status, 429);
  const body = await r.json();
  assert.equal(body.error.code, 'rate_limit_exceeded');
  const retryMs = Number(r.headers.get('retry-after-ms'));
  assert.ok(retryMs > 0 && retryMs <= 12000, String(retryMs));
  assert.equal(Number(r.headers.get('retry-after')), Math.ceil(retryMs / 1000));
  assert.equal(r.headers.get('x-ratelimit-remaining-requests'), '0');
});
