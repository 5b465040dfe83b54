// Requests refused before generation leave a usage row: a bad parameter (400), a context
// overflow (400), a model the key may not use (403), an unknown model (404), an over-limit key
// (429) and refused async submissions, each with a real key, through the npm openai client and
// fetch. `tachyon usage --request ID --json` and GET /admin/usage?request_id=ID show each row with
// the status sent, no tokens and no cost; a request with no valid key (401) leaves none.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import { startServer, createKey, tachyon, tempDataDir, modelName } from './harness.mjs';

const adminKey = 'admin-e2e-refusals-0123456789';
const messages = [{ role: 'user', content: 'Say hi' }];
let server;
let dataDir;
const keys = {};

before(async () => {
  dataDir = path.join(tempDataDir(), 'data');  // created by `tachyon keys create`
  keys.good = createKey(dataDir, 'good');
  keys.otherModel = createKey(dataDir, 'other-model', ['--models', 'some-other-model']);
  keys.onePerMinute = createKey(dataDir, 'one-per-minute', ['--rpm', '1']);
  server = await startServer(['--data-dir', dataDir, '--price', `${modelName}=1,2,0.005`],
    { TACHYON_ADMIN_KEY: adminKey });
});
after(async () => server?.stop());

const client = (apiKey) => new OpenAI({ baseURL: `${server.baseURL}/v1`, apiKey, maxRetries: 0 });
const newRequestId = (what) => `refusal-${what}-${randomUUID()}`;

// The usage report of one request id from the CLI and from the admin API; both must agree.
async function usageOf(requestId) {
  const cli = JSON.parse(tachyon(['usage', '--json', '--request', requestId, '--data-dir', dataDir]));
  const r = await fetch(`${server.baseURL}/admin/usage?request_id=${encodeURIComponent(requestId)}`,
    { headers: { authorization: `Bearer ${adminKey}` } });
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), cli);
  return cli;
}

// Checks that `requestId` has exactly one row, a refusal with `status`, and returns it.
async function expectRefusalRow(requestId, { status, key, model, endpoint }) {
  const report = await usageOf(requestId);
  assert.equal(report.totals.requests, 0, 'refusals are not counted in totals');
  assert.equal(report.requests.length, 1, JSON.stringify(report.requests));
  const row = report.requests[0];
  assert.equal(row.request_id, requestId);
  assert.equal(row.status, status);
  assert.equal(row.key_id, key.id);
  assert.equal(row.model, model);
  assert.equal(row.endpoint, endpoint);
  for (const field of ['prompt_tokens', 'completion_tokens', 'cached_tokens', 'input_cost_micros',
    'output_cost_micros', 'request_cost_micros']) {
    assert.equal(row[field], 0, field);
  }
  return row;
}

test('openai client: 400, 403 and 404 refusals are recorded with their status and no cost', async () => {
  const cases = [
    { what: 'bad-param', key: keys.good, status: 400, model: modelName, type: OpenAI.BadRequestError,
      body: { model: modelName, messages, max_tokens: 2, temperature: 5 } },
    { what: 'context', key: keys.good, status: 400, model: modelName, type: OpenAI.BadRequestError,
      body: { model: modelName, messages, max_tokens: 1000000 } },
    { what: 'not-allowed', key: keys.otherModel, status: 403, model: modelName, type: OpenAI.PermissionDeniedError,
      body: { model: modelName, messages, max_tokens: 2 } },
    { what: 'unknown-model', key: keys.good, status: 404, model: 'no-such-model', type: OpenAI.NotFoundError,
      body: { model: 'no-such-model', messages, max_tokens: 2 } },
  ];
  for (const c of cases) {
    const requestId = newRequestId(c.what);
    await assert.rejects(
      client(c.key.secret).chat.completions.create(c.body, { headers: { 'X-Request-ID': requestId } }),
      (e) => e instanceof c.type && e.status === c.status && e.headers.get('x-request-id') === requestId,
      c.what);
    await expectRefusalRow(requestId, { status: c.status, key: c.key, model: c.model, endpoint: '/v1/chat/completions' });
  }

  const completionId = newRequestId('completion');
  await assert.rejects(
    client(keys.good.secret).completions.create({ model: modelName, prompt: [99999999], max_tokens: 2 },
      { headers: { 'X-Request-ID': completionId } }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'prompt');
  await expectRefusalRow(completionId, { status: 400, key: keys.good, model: modelName, endpoint: '/v1/completions' });
});

test('a malformed body is recorded with an empty model', async () => {
  const requestId = newRequestId('malformed');
  const r = await fetch(`${server.baseURL}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${keys.good.secret}`, 'content-type': 'application/json', 'x-request-id': requestId },
    body: '{"model": ',
  });
  assert.equal(r.status, 400);
  await expectRefusalRow(requestId, { status: 400, key: keys.good, model: '', endpoint: '/v1/chat/completions' });
});

test('refused async submissions are recorded under their X-Request-ID', async () => {
  const cases = [
    { what: 'async-bad-param', status: 400, model: modelName,
      request: { model: modelName, messages, max_tokens: 2, top_p: 7 } },
    { what: 'async-unknown-model', status: 404, model: 'no-such-model',
      request: { model: 'no-such-model', messages, max_tokens: 2 } },
  ];
  for (const c of cases) {
    const requestId = newRequestId(c.what);
    const r = await fetch(`${server.baseURL}/async/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.good.secret}`, 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ request: c.request }),
    });
    assert.equal(r.status, c.status, c.what);
    assert.equal(r.headers.get('x-request-id'), requestId);
    await expectRefusalRow(requestId, { status: c.status, key: keys.good, model: c.model, endpoint: '/async/chat/completions' });
  }
});

test("a request over the key's rate limit is recorded as a 429 with no cost", async () => {
  const c = client(keys.onePerMinute.secret);
  const admittedId = newRequestId('admitted');
  await c.chat.completions.create({ model: modelName, messages, max_tokens: 2 }, { headers: { 'X-Request-ID': admittedId } });
  const admitted = await usageOf(admittedId);
  assert.equal(admitted.totals.requests, 1);
  assert.equal(admitted.requests[0].status, 200);
  assert.ok(admitted.requests[0].request_cost_micros > 0);

  const limitedId = newRequestId('limited');
  await assert.rejects(
    c.chat.completions.create({ model: modelName, messages, max_tokens: 2 }, { headers: { 'X-Request-ID': limitedId } }),
    (e) => e instanceof OpenAI.RateLimitError && e.status === 429);
  await expectRefusalRow(limitedId, { status: 429, key: keys.onePerMinute, model: modelName, endpoint: '/v1/chat/completions' });
});

test('a request with no valid key (401) leaves no row', async () => {
  for (const apiKey of ['', 'tk-wrongwrongwrongwrongwrongwrongwrongwrong']) {
    const requestId = newRequestId('unauthenticated');
    await assert.rejects(
      client(apiKey).chat.completions.create({ model: modelName, messages, max_tokens: 2, temperature: 5 },
        { headers: { 'X-Request-ID': requestId } }),
      (e) => e instanceof OpenAI.AuthenticationError && e.status === 401);
    const report = await usageOf(requestId);
    assert.equal(report.totals.requests, 0);
    assert.deepEqual(report.requests, []);
  }
});

test('`tachyon usage --request ID` prints the rows; without --request, totals and the count of refusals without rows', async () => {
  const requestId = newRequestId('text');
  await assert.rejects(
    client(keys.otherModel.secret).chat.completions.create({ model: modelName, messages, max_tokens: 2 },
      { headers: { 'X-Request-ID': requestId } }),
    OpenAI.PermissionDeniedError);
  const text = tachyon(['usage', '--request', requestId, '--data-dir', dataDir]);
  assert.match(text, /REQUESTS/);
  assert.match(text, new RegExp(`\\s403\\s+${keys.otherModel.id}\\s+${modelName}\\s+/v1/chat/completions\\s+0\\s+0\\s+0\\.000000`));
  const plain = JSON.parse(tachyon(['usage', '--json', '--data-dir', dataDir]));
  assert.deepEqual(Object.keys(plain), ['totals', 'rows', 'rate_limited_without_rows']);
  const r = await fetch(`${server.baseURL}/admin/usage`, { headers: { authorization: `Bearer ${adminKey}` } });
  assert.deepEqual(Object.keys(await r.json()), ['totals', 'rows', 'rate_limited_without_rows']);
});
