// API keys against a real `tachyon serve`: the npm openai client with no key, a wrong key, a
// revoked key and a key not allowed the model; usage.cost; rate-limit headers on streams; the
// admin API; and the secret never written to the data directory or the log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import OpenAI from 'openai';
import { startServer, createKey, tachyon, tempDataDir, modelName } from './harness.mjs';

const adminKey = 'admin-e2e-0123456789abcdef';
const messages = [{ role: 'user', content: 'Say hi' }];
let server;
let dataDir;
const keys = {};

before(async () => {
  dataDir = path.join(tempDataDir(), 'data');  // created by `tachyon keys create`
  keys.good = createKey(dataDir, 'good', ['--rpm', '1000', '--tpm', '1000000']);
  keys.otherModel = createKey(dataDir, 'other-model', ['--models', 'some-other-model']);
  keys.revoked = createKey(dataDir, 'revoked');
  tachyon(['keys', 'revoke', keys.revoked.id, '--data-dir', dataDir]);
  server = await startServer(['--data-dir', dataDir, '--price', `${modelName}=1,2,0.005`],
    { TACHYON_ADMIN_KEY: adminKey });
});
after(async () => server?.stop());

const client = (apiKey) => new OpenAI({ baseURL: `${server.baseURL}/v1`, apiKey, maxRetries: 0 });

function curl(args) {
  return execFileSync('curl', ['-s', '-w', '\n%{http_code}', ...args], { encoding: 'utf8' });
}

async function admin(method, urlPath, { key = adminKey, body } = {}) {
  const headers = { 'content-type': 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  const r = await fetch(server.baseURL + urlPath, { method, headers, body: body && JSON.stringify(body) });
  return { status: r.status, json: await r.json() };
}

test('keys are required once the store has keys; health and readiness stay open', async () => {
  assert.match(server.stderr(), /API keys required/);
  assert.doesNotMatch(server.stderr(), /OPEN MODE/);
  assert.equal((await fetch(`${server.baseURL}/health`)).status, 200);
  assert.equal((await fetch(`${server.baseURL}/ready`)).status, 200);
  for (const p of ['/v1/models', '/v1/models/' + modelName]) {
    const r = await fetch(server.baseURL + p);
    assert.equal(r.status, 401, p);
    const body = await r.json();
    assert.equal(body.error.code, 'invalid_api_key');
    for (const k of ['message', 'type', 'param', 'code']) assert.ok(k in body.error, k);
  }
  const tok = await fetch(`${server.baseURL}/tokenize`, { method: 'POST', body: JSON.stringify({ content: 'hi' }) });
  assert.equal(tok.status, 401);
});

test('a good key works and the usage carries its cost', async () => {
  const r = await client(keys.good.secret).chat.completions.create({ model: modelName, messages, max_tokens: 6 });
  const u = r.usage;
  assert.ok(u.prompt_tokens > 0 && u.completion_tokens > 0);
  const micros = (x) => Math.round(x * 1e6);
  assert.equal(micros(u.cost.input_tokens_cost), u.prompt_tokens * 1);
  assert.equal(micros(u.cost.output_tokens_cost), u.completion_tokens * 2);
  assert.equal(micros(u.cost.request_cost), 5000);
  assert.equal(micros(u.cost.total_cost), u.prompt_tokens + 2 * u.completion_tokens + 5000);
});

test('openai client: no key, wrong key and revoked key are AuthenticationError', async () => {
  for (const apiKey of ['', 'tk-wrongwrongwrongwrongwrongwrongwrongwrong', keys.revoked.secret]) {
    await assert.rejects(
      client(apiKey).chat.completions.create({ model: modelName, messages, max_tokens: 2 }),
      (e) => e instanceof OpenAI.AuthenticationError && e.status === 401 && e.code === 'invalid_api_key',
      `key '${apiKey}'`);
  }
  await assert.rejects(client(keys.revoked.secret).models.list(), OpenAI.AuthenticationError);
});

test('openai client: a key not allowed the model is PermissionDeniedError', async () => {
  await assert.rejects(
    client(keys.otherModel.secret).chat.completions.create({ model: modelName, messages, max_tokens: 2 }),
    (e) => e instanceof OpenAI.PermissionDeniedError && e.status === 403 && e.param === 'model');
  const listed = await client(keys.otherModel.secret).models.list();
  assert.deepEqual(listed.data.map((m) => m.id), []);
  // Nor does any answer to it name a model it may not use.
  await assert.rejects(
    client(keys.otherModel.secret).chat.completions.create({ model: 'some-other-model', messages, max_tokens: 2 }),
    (e) => e instanceof OpenAI.NotFoundError && !e.message.includes(modelName));
  const tokenized = await fetch(`${server.baseURL}/tokenize`, {
    method: 'POST', body: JSON.stringify({ content: 'hi' }),
    headers: { authorization: `Bearer ${keys.otherModel.secret}`, 'content-type': 'application/json' },
  });
  assert.equal(tokenized.status, 404);
  assert.ok(!(await tokenized.text()).includes(modelName));
});

test('rate-limit headers on JSON and streaming responses', () => {
  const body = JSON.stringify({ model: modelName, messages, max_tokens: 3, stream: true });
  for (const extra of [[], ['-N']]) {
    const out = curl(['-D', '-', ...extra, '-H', `Authorization: Bearer ${keys.good.secret}`, '-H', 'Content-Type: application/json',
      '-d', extra.length ? body : body.replace('"stream":true', '"stream":false'), `${server.baseURL}/v1/chat/completions`]);
    assert.match(out, /200$/);
    for (const h of ['x-ratelimit-limit-requests: 1000', 'x-ratelimit-remaining-requests: \\d+', 'x-ratelimit-reset-requests: \\S+',
      'x-ratelimit-limit-tokens: 1000000', 'x-ratelimit-remaining-tokens: \\d+', 'x-ratelimit-reset-tokens: \\S+',
      'X-RateLimit-Limit: 1000', 'X-RateLimit-Remaining: \\d+', 'X-RateLimit-Reset: \\d+', 'X-Request-ID: \\S+']) {
      assert.match(out, new RegExp(h, 'i'), h);
    }
  }
});

test('admin API: admin key only; create, rotate and revoke take effect at once', async () => {
  assert.equal((await admin('GET', '/admin/keys', { key: null })).status, 401);
  assert.equal((await admin('GET', '/admin/keys', { key: 'tk-nope' })).status, 401);
  const asUser = await admin('GET', '/admin/keys', { key: keys.good.secret });
  assert.equal(asUser.status, 403);
  assert.equal(asUser.json.error.type, 'permission_error');

  const listed = await admin('GET', '/admin/keys');
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.json.data.map((k) => k.name).sort(), ['good', 'other-model', 'revoked']);
  assert.ok(listed.json.data.every((k) => !('secret' in k)));
  assert.equal(listed.json.data.find((k) => k.name === 'revoked').status, 'revoked');

  const created = await admin('POST', '/admin/keys', { body: { name: 'from-admin', rpm: 100 } });
  assert.equal(created.status, 201);
  assert.match(created.json.secret, /^tk-[0-9A-Za-z]{40}$/);
  const fresh = client(created.json.secret);
  assert.equal((await fresh.models.list()).data[0].id, modelName);

  const rotated = await admin('POST', `/admin/keys/${created.json.id}/rotate`, { body: { grace: '1h' } });
  assert.equal(rotated.status, 200);
  assert.notEqual(rotated.json.secret, created.json.secret);
  await fresh.models.list();  // the old secret within its grace period
  await client(rotated.json.secret).models.list();
  const now = await admin('POST', `/admin/keys/${created.json.id}/rotate`, { body: { grace: '0' } });
  await assert.rejects(client(rotated.json.secret).models.list(), OpenAI.AuthenticationError);
  await client(now.json.secret).models.list();

  const revoked = await admin('DELETE', `/admin/keys/${created.json.id}`);
  assert.equal(revoked.status, 200);
  assert.equal(revoked.json.status, 'revoked');
  await assert.rejects(client(now.json.secret).models.list(), OpenAI.AuthenticationError);
  assert.equal((await admin('DELETE', '/admin/keys/key_missing')).status, 404);
});

test('usage: the admin API and `tachyon usage` agree with what the client received', async () => {
  const key = createKey(dataDir, 'metered');
  await new Promise((r) => setTimeout(r, 1100));  // the server re-reads keys each second
  const c = client(key.secret);
  const sums = { requests: 0, prompt: 0, completion: 0, cost: 0 };
  for (const stream of [false, true, false]) {
    let usage;
    if (stream) {
      const s = await c.chat.completions.create({ model: modelName, messages, max_tokens: 5, stream: true,
        stream_options: { include_usage: true } });
      for await (const chunk of s) if (chunk.usage) usage = chunk.usage;
    } else {
      usage = (await c.chat.completions.create({ model: modelName, messages, max_tokens: 4 })).usage;
    }
    sums.requests += 1;
    sums.prompt += usage.prompt_tokens;
    sums.completion += usage.completion_tokens;
    sums.cost += Math.round(usage.cost.total_cost * 1e6);
  }
  const viaApi = await admin('GET', `/admin/usage?key=${key.id}&by=model`);
  assert.equal(viaApi.status, 200);
  const viaCli = JSON.parse(tachyon(['usage', '--json', '--key', key.id, '--by', 'model', '--data-dir', dataDir]));
  for (const report of [viaApi.json, viaCli]) {
    assert.equal(report.totals.requests, sums.requests);
    assert.equal(report.totals.prompt_tokens, sums.prompt);
    assert.equal(report.totals.completion_tokens, sums.completion);
    assert.equal(Math.round(report.totals.cost.total_cost * 1e6), sums.cost);
    assert.equal(report.rows.length, 1);
    assert.equal(report.rows[0].group, modelName);
  }
  const csv = tachyon(['usage', '--csv', '--key', key.id, '--data-dir', dataDir]);
  assert.match(csv, new RegExp(`^group,requests,prompt_tokens,completion_tokens,.*\\ntotal,${sums.requests},${sums.prompt},${sums.completion},`));
});

test('no secret is written to the data directory or the log', () => {
  const files = fs.readdirSync(dataDir).map((f) => fs.readFileSync(path.join(dataDir, f)).toString('latin1'));
  for (const k of Object.values(keys)) {
    const body = k.secret.slice(3);
    for (const content of [...files, server.stderr()]) assert.equal(content.includes(body), false, k.name);
  }
  assert.equal(fs.statSync(dataDir).mode & 0o777, 0o700);
});

test('a store without keys serves open and says so loudly', async () => {
  const open = await startServer();
  try {
    assert.match(open.stderr(), /WARNING: OPEN MODE/);
    const r = await fetch(`${open.baseURL}/v1/models`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-ratelimit-limit-requests'), null);
  } finally {
    await open.stop();
  }
});

test('--auth required refuses to start without keys', async () => {
  await assert.rejects(startServer(['--auth', 'required']), /holds no API keys/);
});
