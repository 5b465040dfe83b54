// Perplexity's async chat completions through the real Perplexity SDK: a job is created at
// once, runs, and returns its chat completion; jobs are listed per key; pending jobs survive a
// kill -9 and run after the restart; jobs count in the key's usage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Perplexity from '@perplexity-ai/perplexity_ai';
import { startServer, createKey, tempDataDir, tachyon, modelName, sleep } from './harness.mjs';

const request = (content) => ({ model: modelName, messages: [{ role: 'user', content }], max_tokens: 5 });

async function waitForEnd(client, id, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const job = await client.async.chat.completions.get(id);
    if (job.status === 'COMPLETED' || job.status === 'FAILED') return job;
    await sleep(100);
  }
  throw new Error(`job ${id} did not finish`);
}

test('async jobs: create, get, list; another key sees none of them', async () => {
  const dataDir = path.join(tempDataDir(), 'data');
  const key = createKey(dataDir, 'async');
  const other = createKey(dataDir, 'other');
  const server = await startServer(['--data-dir', dataDir]);
  try {
    const client = new Perplexity({ baseURL: server.baseURL, apiKey: key.secret, maxRetries: 0 });
    const created = await client.async.chat.completions.create({ request: request('Hello async') });
    assert.match(created.id, /^[0-9a-f-]{36}$/);
    assert.equal(created.model, modelName);
    assert.ok(['CREATED', 'IN_PROGRESS', 'COMPLETED'].includes(created.status));
    assert.equal(typeof created.created_at, 'number');

    const done = await waitForEnd(client, created.id);
    assert.equal(done.status, 'COMPLETED', done.error_message);
    assert.equal(done.response.object, 'chat.completion');
    assert.ok(done.response.usage.completion_tokens > 0);
    assert.ok(done.started_at >= done.created_at && done.completed_at >= done.started_at);
    assert.equal(done.failed_at, null);

    const failing = await client.async.chat.completions.create({ request: { ...request('x'), temperature: 5 } })
      .catch((e) => e);
    assert.equal(failing.status, 400);  // checked at submission

    const listed = await client.async.chat.completions.list();
    assert.deepEqual(listed.requests.map((r) => r.id), [created.id]);
    const stranger = new Perplexity({ baseURL: server.baseURL, apiKey: other.secret, maxRetries: 0 });
    assert.deepEqual((await stranger.async.chat.completions.list()).requests, []);
    await assert.rejects(stranger.async.chat.completions.get(created.id), (e) => e.status === 404);

    const usage = JSON.parse(tachyon(['usage', '--json', '--key', key.id, '--data-dir', dataDir]));
    assert.equal(usage.totals.requests, 1);
    assert.equal(usage.totals.completion_tokens, done.response.usage.completion_tokens);
  } finally {
    await server.stop();
  }
});

test('pending async jobs survive kill -9 and run after the restart', async () => {
  const dataDir = path.join(tempDataDir(), 'data');
  const key = createKey(dataDir, 'async');
  const args = ['--data-dir', dataDir];
  let server = await startServer(args);
  const ids = [];
  try {
    const client = new Perplexity({ baseURL: server.baseURL, apiKey: key.secret, maxRetries: 0 });
    for (let i = 0; i < 6; ++i) ids.push((await client.async.chat.completions.create({ request: request(`job ${i}`) })).id);
    await server.kill9();
    server = await startServer(args);
    const after = new Perplexity({ baseURL: server.baseURL, apiKey: key.secret, maxRetries: 0 });
    for (const id of ids) assert.equal((await waitForEnd(after, id)).status, 'COMPLETED');
  } finally {
    await server.stop();
  }
});

test('a key may have --max-async-jobs jobs waiting or running; more get 429 until some end', async () => {
  const dataDir = path.join(tempDataDir(), 'data');
  const key = createKey(dataDir, 'many');
  const other = createKey(dataDir, 'other');
  const server = await startServer(['--data-dir', dataDir, '--max-async-jobs', '2', '--ctx', '8192']);
  try {
    const client = new Perplexity({ baseURL: server.baseURL, apiKey: key.secret, maxRetries: 0 });
    // Long jobs (they run one at a time), so both are still unfinished at the third submission.
    const long = { ...request('Long job'), max_tokens: 7000, ignore_eos: true };
    const jobs = [await client.async.chat.completions.create({ request: long }),
      await client.async.chat.completions.create({ request: long })];
    await assert.rejects(client.async.chat.completions.create({ request: request('One too many') }),
      (e) => e instanceof Perplexity.RateLimitError && /2 async jobs waiting or running/.test(e.message));
    // Another key's budget is its own.
    const otherClient = new Perplexity({ baseURL: server.baseURL, apiKey: other.secret, maxRetries: 0 });
    await otherClient.async.chat.completions.create({ request: request('Mine') });
    for (const job of jobs) await waitForEnd(client, job.id, 120000);
    const after = await client.async.chat.completions.create({ request: request('Room again') });
    assert.equal((await waitForEnd(client, after.id)).status, 'COMPLETED');
  } finally {
    await server.stop();
  }
});
