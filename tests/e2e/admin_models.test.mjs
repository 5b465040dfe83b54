// Models added and removed while the server runs (POST /admin/models, DELETE /admin/models/{name}),
// through a real `tachyon serve` with --models-dir: the admin key only, files inside the models
// directory only, 503 with Retry-After while a model loads, requests on it once it is ready,
// 404 after it is unloaded, and the server's other model unaffected throughout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { modelName, repo, sleep, startServer, tempDataDir } from './harness.mjs';

const adminKey = 'admin-models-e2e-0123456789';
let server;
let modelsDir;

before(async () => {
  modelsDir = path.join(tempDataDir(), 'models');
  fs.mkdirSync(path.join(modelsDir, 'sub'), { recursive: true });
  // Files in a subfolder: `serve --models-dir` serves the folder's own .gguf files at start (none
  // here), and the admin API loads any file under it. The bundled model is the second model.
  fs.symlinkSync(path.join(repo, 'models/tachyon-mini-q8_0.gguf'), path.join(modelsDir, 'sub', 'mini.gguf'));
  fs.writeFileSync(path.join(modelsDir, 'sub', 'broken.gguf'), 'not a gguf file');
  server = await startServer(['--models-dir', modelsDir], { TACHYON_ADMIN_KEY: adminKey });
});
after(async () => server?.stop());

async function call(method, urlPath, { key = adminKey, body } = {}) {
  const headers = { 'content-type': 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  const r = await fetch(server.baseURL + urlPath, { method, headers, body: body && JSON.stringify(body) });
  return { status: r.status, headers: r.headers, json: await r.json() };
}

const complete = (model) => call('POST', '/v1/completions', { key: null, body: { model, prompt: 'Once upon a time', max_tokens: 4, temperature: 0 } });

async function waitUntil(name, status) {
  for (let i = 0; i < 200; ++i) {
    const listed = await call('GET', '/admin/models');
    const entry = listed.json.data.find((m) => m.id === name);
    if (entry?.status === status) return entry;
    await sleep(50);
  }
  assert.fail(`${name} never became ${status}`);
}

test('load a model at runtime, use it, unload it', async () => {
  const listed = await call('GET', '/admin/models');
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.json.data.map((m) => [m.id, m.status]), [[modelName, 'ready']]);

  const loading = await call('POST', '/admin/models', { body: { name: 'mini', path: 'sub/mini.gguf' } });
  assert.equal(loading.status, 202, JSON.stringify(loading.json));
  assert.equal(loading.json.status, 'loading');
  // While it loads a request for it is told to come back; once ready it is served.
  const early = await complete('mini');
  if (early.status === 503) {
    assert.equal(early.json.error.code, 'model_loading');
    assert.ok(Number(early.headers.get('retry-after')) >= 1);
  } else {
    assert.equal(early.status, 200, JSON.stringify(early.json));
  }
  const ready = await waitUntil('mini', 'ready');
  assert.equal(ready.architecture, 'llama');
  assert.equal(ready.kind, 'generation');
  const answer = await complete('mini');
  assert.equal(answer.status, 200, JSON.stringify(answer.json));
  assert.equal(answer.json.model, 'mini');
  assert.ok((await call('GET', '/v1/models', { key: null })).json.data.some((m) => m.id === 'mini'));
  // The same name again is a conflict; the first model is untouched.
  assert.equal((await call('POST', '/admin/models', { body: { name: 'mini', path: 'sub/mini.gguf' } })).status, 409);
  assert.equal((await complete(modelName)).status, 200);

  const deleted = await call('DELETE', '/admin/models/mini');
  assert.equal(deleted.status, 200);
  assert.deepEqual(deleted.json, { id: 'mini', object: 'model', deleted: true });
  const gone = await complete('mini');
  assert.equal(gone.status, 404);
  assert.equal(gone.json.error.code, 'model_not_found');
  assert.equal((await call('DELETE', '/admin/models/mini')).status, 404);
  assert.equal((await complete(modelName)).status, 200);
});

test('a file that does not load is reported, and its name can be used again', async () => {
  assert.equal((await call('POST', '/admin/models', { body: { name: 'broken', path: 'sub/broken.gguf' } })).status, 202);
  const failed = await waitUntil('broken', 'failed');
  assert.match(failed.error, /broken\.gguf/);
  assert.equal((await complete('broken')).status, 404);
  assert.equal((await call('POST', '/admin/models', { body: { name: 'broken', path: 'sub/mini.gguf' } })).status, 202);
  await waitUntil('broken', 'ready');
  assert.equal((await call('DELETE', '/admin/models/broken')).status, 200);
});

test('admin key only; paths stay inside the models directory', async () => {
  const body = { name: 'x', path: 'sub/mini.gguf' };
  assert.equal((await call('POST', '/admin/models', { key: null, body })).status, 401);
  assert.equal((await call('POST', '/admin/models', { key: 'tk-not-the-admin', body })).status, 401);
  assert.equal((await call('DELETE', `/admin/models/${modelName}`, { key: null })).status, 401);
  for (const [field, bad] of [
    ['path', '../sub/mini.gguf'], ['path', '/etc/passwd'], ['path', 'sub/../../x.gguf'],
    ['path', 'sub'], ['name', ''], ['name', 'has space'], ['path', ''],
  ]) {
    const r = await call('POST', '/admin/models', { body: { ...body, [field]: bad } });
    assert.equal(r.status, 400, `${field}=${bad}: ${JSON.stringify(r.json)}`);
    assert.equal(r.json.error.param, field);
  }
  const missing = await call('POST', '/admin/models', { body: { name: 'x', path: 'nope.gguf' } });
  assert.equal(missing.status, 404);
  assert.equal((await call('GET', '/admin/models')).json.data.length, 1);
});

test('unloading drains: a stream in flight finishes before the model goes', async () => {
  assert.equal((await call('POST', '/admin/models', { body: { name: 'drain', path: 'sub/mini.gguf' } })).status, 202);
  await waitUntil('drain', 'ready');
  const res = await fetch(`${server.baseURL}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'drain', prompt: 'Once upon a time', max_tokens: 48, temperature: 0, stream: true, ignore_eos: true }),
  });
  assert.equal(res.status, 200);
  const reader = res.body.getReader();
  let text = '';
  const first = await reader.read();  // the stream has started
  text += new TextDecoder().decode(first.value);
  const deleting = call('DELETE', '/admin/models/drain');
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  const deleted = await deleting;
  assert.equal(deleted.status, 200);
  assert.match(text, /"finish_reason":"length"/);
  assert.match(text, /data: \[DONE\]/);
  assert.equal((await complete('drain')).status, 404);
});
