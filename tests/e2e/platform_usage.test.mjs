// Usage survives kill -9: 50 clients send 500+ requests (streaming and not) while the server is
// killed with SIGKILL and restarted twice. Afterwards `tachyon usage` equals, token for token
// and micro-dollar for micro-dollar, the sum of the usage objects clients received in full,
// plus the rows of requests that the kill cut off in the instant between their row's commit
// and their final byte (looked up by X-Request-ID): a row is committed before the final byte,
// never after, so no acknowledged request is ever missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, createKey, tempDataDir, modelName, usageAfterKills } from './harness.mjs';

const N_REQUESTS = 500;
const N_CLIENTS = 50;
const KILL_AFTER = [170, 340];

function sseUsage(text) {
  const events = text.split('\n\n').filter((e) => e.startsWith('data: ')).map((e) => e.slice(6));
  if (events.at(-1) !== '[DONE]') throw new Error('stream cut before [DONE]');
  const withUsage = events.slice(0, -1).map((e) => JSON.parse(e)).filter((c) => c.usage);
  if (withUsage.length !== 1) throw new Error('no usage chunk');
  return withUsage[0].usage;
}

async function request(baseURL, secret, id, stream) {
  const r = await fetch(`${baseURL}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', 'x-request-id': id },
    body: JSON.stringify({
      model: modelName, messages: [{ role: 'user', content: `Request ${id}` }], max_tokens: 4 + (id.length % 5),
      stream, ...(stream ? { stream_options: { include_usage: true } } : {}),
    }),
  });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`status ${r.status}`);
  return stream ? sseUsage(text) : JSON.parse(text).usage;
}

test('usage totals equal what clients received across two kill -9 restarts', { timeout: 600000 }, async () => {
  const dataDir = path.join(tempDataDir(), 'data');
  const key = createKey(dataDir, 'load');
  const args = ['--data-dir', dataDir, '--price', `${modelName}=0.5,1.5,0.001`, '--max-waiting', '512'];
  let server = await startServer(args);
  let restarting = null;
  const received = [];
  const cut = [];
  let attempt = 0;
  let kills = 0;

  async function killAndRestart() {
    let release;
    restarting = new Promise((r) => { release = r; });
    await server.kill9();
    kills += 1;
    server = await startServer(args);
    restarting = null;
    release();
  }

  async function client(c) {
    while (received.length < N_REQUESTS) {
      if (restarting) await restarting;
      const n = attempt++;
      const id = `load-${c}-${n}`;
      try {
        received.push(await request(server.baseURL, key.secret, id, n % 2 === 0));
      } catch {
        cut.push(id);
      }
      if (kills < KILL_AFTER.length && received.length >= KILL_AFTER[kills] && !restarting) await killAndRestart();
    }
  }
  await Promise.all(Array.from({ length: N_CLIENTS }, (_, c) => client(c)));
  await server.stop();
  assert.equal(kills, 2);

  const { expected, stored, committedButCut } = usageAfterKills(dataDir, key.id, received, cut);
  console.log(`received ${received.length}, cut ${cut.length} (committed but cut: ${committedButCut})`);
  assert.ok(received.length >= N_REQUESTS);
  assert.ok(cut.length > 0, 'the kills cut some requests');
  assert.deepEqual(stored, expected);
});
