// Crash campaign: `clients` clients load a server (SQLite store, an API key, streaming and not)
// while it is killed with SIGKILL `kills` times, each time after a random share of requests,
// and restarted on the same data directory. After every kill the database passes SQLite's
// integrity check and the server starts on it; at the end the store's usage equals what the
// clients received in full, plus the rows of requests cut in the instant between their row's
// commit and their last byte (looked up by X-Request-ID). Rows lost must be 0.
//   node tests/e2e/long/crash_campaign.mjs [--kills 20] [--clients 100] [--out crash.json]
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startServer, bundledModel, createKey, tempDataDir, usageAfterKills } from '../harness.mjs';
import { send, chatBody, options, report } from './load.mjs';

const opt = options({ kills: 20, clients: 100, 'min-between': 50, 'max-between': 250, seed: 7, out: '' });
const dataDir = path.join(tempDataDir(), 'data');
const key = createKey(dataDir, 'crash');
const args = ['--data-dir', dataDir, '--price', `${bundledModel.name}=0.5,1.5,0.001`, '--max-waiting', '1024'];
const model = bundledModel.name;

// A small deterministic generator, so a campaign can be rerun with the same kill points.
let state = opt.seed;
const random = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
const between = () => opt['min-between'] + Math.floor(random() * (opt['max-between'] - opt['min-between']));

let server = await startServer(args, {}, bundledModel);
const received = [];
const cut = [];
const restarts = [];
let restarting = null;
let kills = 0;
let killAt = between();
let next = 0;

function integrity() {
  return execFileSync('sqlite3', [path.join(dataDir, 'tachyon.db'), 'PRAGMA integrity_check;'], { encoding: 'utf8' }).trim();
}

async function killAndRestart() {
  let release;
  restarting = new Promise((r) => { release = r; });
  const inFlight = next - received.length - cut.length;
  await server.kill9();
  kills += 1;
  const check = integrity();
  const t = performance.now();
  server = await startServer(args, {}, bundledModel);
  restarts.push({ kill: kills, after_received: received.length, in_flight: inFlight, integrity: check, restart_ms: performance.now() - t });
  console.error(`kill ${kills}: ${received.length} received, ~${inFlight} in flight; integrity ${check}; back in ${Math.round(performance.now() - t)} ms`);
  killAt = received.length + between();
  restarting = null;
  release();
}

async function client() {
  while (kills < opt.kills || received.length < killAt) {
    if (restarting) await restarting;
    const i = next++;
    const id = `crash-${i}`;
    const r = await send(server.baseURL, chatBody(model, i, { maxTokens: 8 + (i % 24) }), { secret: key.secret, requestId: id });
    if (r.kind === 'ok') received.push(r.usage);
    else cut.push(id);
    if (kills < opt.kills && received.length >= killAt && !restarting) await killAndRestart();
  }
}
await Promise.all(Array.from({ length: opt.clients }, () => client()));
const { code } = await server.stop();

const { expected, stored, committedButCut } = usageAfterKills(dataDir, key.id, received, cut);
const figures = {
  model, options: opt, kills, received: received.length, cut: cut.length, committed_but_cut: committedButCut,
  expected, stored, rows_lost: expected.requests - stored.requests,
  integrity_all_ok: restarts.every((r) => r.integrity === 'ok'),
  restart_ms_max: Math.max(...restarts.map((r) => r.restart_ms)), exit_code: code, restarts,
};
report(opt.out, figures);
const same = Object.keys(expected).every((k) => expected[k] === stored[k]);
process.exit(same && figures.integrity_all_ok && kills === opt.kills && code === 0 ? 0 : 1);
