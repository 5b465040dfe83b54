// Request logs: kept and readable through GET /admin/requests/{id}; a key created with
// --no-retention leaves no prompt or completion text in the data directory, ever; a server
// started with --no-retention keeps none for anyone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, createKey, tempDataDir, modelName } from './harness.mjs';

const adminKey = 'admin-retention-0123456789';

async function chat(server, secret, id, content, stream = false) {
  const r = await fetch(`${server.baseURL}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', 'x-request-id': id },
    body: JSON.stringify({ model: modelName, messages: [{ role: 'user', content }], max_tokens: 6, stream }),
  });
  assert.equal(r.status, 200);
  return r.text();
}

// A Responses API request (stored by default unless the key or server keeps no text).
async function respond(server, secret, input) {
  const r = await fetch(`${server.baseURL}/v1/responses`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: modelName, input, max_output_tokens: 6 }),
  });
  assert.equal(r.status, 200);
  return r.json();
}

function dataDirBytes(dir) {
  return fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f)).toString('latin1')).join('\n');
}

test('request logs are kept for retained keys and never for --no-retention keys', async () => {
  const dataDir = path.join(tempDataDir(), 'data');
  const kept = createKey(dataDir, 'kept');
  const secret = createKey(dataDir, 'private', ['--no-retention']);
  const other = createKey(dataDir, 'other');
  const server = await startServer(['--data-dir', dataDir], { TACHYON_ADMIN_KEY: adminKey });
  try {
    await chat(server, kept.secret, 'req-kept-1', 'marker kept 4f1c2a');
    await chat(server, kept.secret, 'req-kept-2', 'marker kept stream 77d0', true);
    await chat(server, secret.secret, 'req-private-1', 'marker private 9be31d');
    await chat(server, secret.secret, 'req-private-2', 'marker private stream 0c5e', true);
    const storedResponse = await respond(server, kept.secret, 'marker kept response 5a9e');
    assert.equal(storedResponse.store, true);
    const privateResponse = await respond(server, secret.secret, 'marker private response 3b7f');
    assert.equal(privateResponse.store, false);
    const retrieve = (id, key) => fetch(`${server.baseURL}/v1/responses/${id}`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal((await retrieve(storedResponse.id, kept.secret)).status, 200);
    assert.equal((await retrieve(storedResponse.id, secret.secret)).status, 404, 'another key cannot read it');
    assert.equal((await retrieve(privateResponse.id, secret.secret)).status, 404);

    const get = (id) => fetch(`${server.baseURL}/admin/requests/${id}`, { headers: { authorization: `Bearer ${adminKey}` } });
    for (const id of ['req-kept-1', 'req-kept-2']) {
      const r = await get(id);
      assert.equal(r.status, 200);
      const log = await r.json();
      assert.equal(log.key_id, kept.id);
      assert.match(log.request.messages[0].content, /^marker kept/);
      assert.equal(log.choices.length, 1);
      assert.ok(log.choices[0].length > 0);
    }
    assert.equal((await get('req-private-1')).status, 404);
    // Another key reusing a request id does not hide the first key's log: the id alone is
    // ambiguous (409 naming both keys), ?key_id= picks each.
    await chat(server, other.secret, 'req-kept-1', 'marker other 77aa');
    const ambiguous = await get('req-kept-1');
    assert.equal(ambiguous.status, 409);
    const conflict = await ambiguous.json();
    assert.equal(conflict.error.param, 'key_id');
    assert.ok(conflict.error.message.includes(kept.id) && conflict.error.message.includes(other.id),
      conflict.error.message);
    const byKey = (id, key) => fetch(`${server.baseURL}/admin/requests/${id}?key_id=${key}`,
      { headers: { authorization: `Bearer ${adminKey}` } });
    const mine = await (await byKey('req-kept-1', kept.id)).json();
    assert.match(mine.request.messages[0].content, /^marker kept/);
    const theirs = await (await byKey('req-kept-1', other.id)).json();
    assert.match(theirs.request.messages[0].content, /^marker other/);
    assert.equal((await byKey('req-kept-1', 'key_nobody')).status, 404);
    const asUser = await fetch(`${server.baseURL}/admin/requests/req-kept-1`, { headers: { authorization: `Bearer ${kept.secret}` } });
    assert.equal(asUser.status, 403);
  } finally {
    await server.stop();
  }
  const bytes = dataDirBytes(dataDir);
  assert.ok(bytes.includes('marker kept 4f1c2a'), 'the check sees retained text');
  assert.ok(bytes.includes('marker kept response 5a9e'), 'a stored response is in the database');
  assert.ok(!bytes.includes('marker private'), 'no text of a --no-retention key');
});

test('a server started with --no-retention keeps no request text', async () => {
  const dataDir = path.join(tempDataDir(), 'data');
  const key = createKey(dataDir, 'any');
  const server = await startServer(['--data-dir', dataDir, '--no-retention']);
  try {
    await chat(server, key.secret, 'req-1', 'marker server-wide 1d2e');
    assert.equal((await respond(server, key.secret, 'marker server-wide response')).store, false);
  } finally {
    await server.stop();
  }
  assert.ok(!dataDirBytes(dataDir).includes('marker server-wide'));
});
