// Replicas behind nginx sharing PostgreSQL and Redis, every process on 127.0.0.1, started and
// stopped here: PostgreSQL 15 (scripts/pg_test_server.sh), Redis 7 (scripts/redis_test_server.sh),
// two `tachyon serve` replicas (--database, --redis) and nginx with deploy/nginx/tachyon.conf.
// One key's budget is one budget across replicas; usage from both lands in one database and
// `tachyon usage` equals what clients received; a replica killed under a 50-client streaming load
// leaves its clients with a clean end, loses no acknowledged usage row, and its async job is run
// by the other replica once its lease ends; with Redis stopped, --redis-failure decides.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { startServer, tachyon, repo, modelName, sleep, metricValue, freePort } from './harness.mjs';
import { sseData } from './sse.mjs';

const nginxBin = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => fs.existsSync(p));
const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const skip = !nginxBin ? 'nginx is not installed (apt-get install nginx-light)'
  : !have('redis-server') ? 'redis-server is not installed'
    : !fs.existsSync('/usr/lib/postgresql/15/bin/initdb') ? 'PostgreSQL 15 is not installed' : false;


const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tachyon-scale-'));
// Beside tmp, not inside it: as root the server runs as the postgres user, who cannot enter tmp.
const pg = { dir: `${tmp}-pg`, port: 0, url: '' };
const redis = { dir: path.join(tmp, 'redis'), port: 0, url: '' };
const nginx = { dir: path.join(tmp, 'nginx'), port: 0, proc: null, baseURL: '' };
const replicas = [];

// Each replica has its own data directory holding a copy of one search index, built once.
const indexDir = path.join(tmp, 'index');
function replicaDataDir(port) {
  const dir = path.join(tmp, `replica-${port}`);
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.copyFileSync(path.join(indexDir, 'search.db'), path.join(dir, 'search.db'));
  }
  return dir;
}

async function startReplica(port, extra = []) {
  return startServer(['--port', String(port), '--data-dir', replicaDataDir(port), '--database', pg.url,
    '--redis', redis.url, '--job-lease', '3', '--ctx', '4096', ...extra]);
}

// deploy/nginx/tachyon.conf as shipped (or with its `hash` line deleted: round robin), with the
// replicas as upstreams, a local port and logs in `n.dir`.
function startNginx(n, ports, { roundRobin = false } = {}) {
  fs.mkdirSync(path.join(n.dir, 'logs'), { recursive: true });
  fs.mkdirSync(path.join(n.dir, 'temp'), { recursive: true });
  let conf = fs.readFileSync(path.join(repo, 'deploy/nginx/tachyon.conf'), 'utf8');
  const servers = ports.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=10s;`).join('\n');
  conf = conf.replace(/(\n\s*server\s+[\d.]+:\d+[^;]*;)+/, `\n${servers}`)
    .replace(/listen 80;/, `listen 127.0.0.1:${n.port};`)
    .replaceAll('/var/log/nginx/', `${n.dir}/logs/`);
  if (roundRobin) conf = conf.replace(/\n\s*hash \S+ consistent;/, '\n');
  fs.writeFileSync(path.join(n.dir, 'tachyon.conf'), conf);
  const d = n.dir;
  fs.writeFileSync(path.join(d, 'nginx.conf'), `daemon off;\npid ${d}/nginx.pid;\nerror_log ${d}/logs/error.log;\n` +
    `events {}\nhttp {\n client_body_temp_path ${d}/temp/body;\n proxy_temp_path ${d}/temp/proxy;\n` +
    ` fastcgi_temp_path ${d}/temp/fastcgi;\n uwsgi_temp_path ${d}/temp/uwsgi;\n scgi_temp_path ${d}/temp/scgi;\n` +
    ` include ${d}/tachyon.conf;\n}\n`);
  n.proc = spawn(nginxBin, ['-p', d, '-c', path.join(d, 'nginx.conf'), '-e', `${d}/logs/error.log`], { stdio: 'ignore' });
  n.baseURL = `http://127.0.0.1:${n.port}`;
}

async function untilUp(baseURL) {
  for (let i = 0; i < 100; i++) {
    if ((await fetch(`${baseURL}/health`).catch(() => null))?.status === 200) return;
    await sleep(100);
  }
  throw new Error(`${baseURL} did not come up`);
}

before(async () => {
  if (skip) return;
  pg.port = await freePort();
  pg.url = execFileSync('bash', [path.join(repo, 'scripts/pg_test_server.sh'), 'start', pg.dir, String(pg.port)], { encoding: 'utf8' }).trim().split('\n').pop();
  redis.port = await freePort();
  execFileSync('bash', [path.join(repo, 'scripts/redis_test_server.sh'), 'start', redis.dir, String(redis.port)]);
  redis.url = `redis://127.0.0.1:${redis.port}`;
  // Keys exist before the replicas start, so they require them from the first request.
  createKey('operator');
  const pages = path.join(tmp, 'pages');
  fs.mkdirSync(pages, { recursive: true });
  for (const [name, text] of [['lighthouse', 'The lighthouse keeper trims the lamp at dusk.\n\nShips pass the rocks at night.'],
    ['harbour', 'The harbour master logs every ship.\n\nA lamp burns in the harbour office.'],
    ['orchard', 'Apples ripen in the orchard in autumn.\n\nThe keeper of the orchard sells cider.']])
    fs.writeFileSync(path.join(pages, `${name}.md`), `# ${name}\n\n${text}\n`);
  tachyon(['index', 'add', '--quiet', '--data-dir', indexDir, pages]);
  const ports = [await freePort(), await freePort()];
  for (const p of ports) replicas.push({ port: p, server: await startReplica(p) });
  nginx.port = await freePort();
  startNginx(nginx, ports);
  await untilUp(nginx.baseURL);
});

after(async () => {
  if (skip) return;
  nginx.proc?.kill('SIGTERM');
  for (const r of replicas) await r.server.stop();
  spawnSync('bash', [path.join(repo, 'scripts/redis_test_server.sh'), 'stop', redis.dir, String(redis.port)]);
  spawnSync('bash', [path.join(repo, 'scripts/pg_test_server.sh'), 'stop', pg.dir, String(pg.port)]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

const createKey = (name, extra = []) =>
  JSON.parse(tachyon(['keys', 'create', '--name', name, '--database', pg.url, '--json', ...extra]));
// Replicas re-read keys every second.
async function createKeySeen(name, extra = []) {
  const key = createKey(name, extra);
  await sleep(1200);
  return key;
}
const usage = (args) => JSON.parse(tachyon(['usage', '--json', '--database', pg.url, ...args]));

function chat(baseURL, secret, body, headers = {}) {
  return new Promise((resolve) => {
    const data = JSON.stringify({ model: modelName, messages: [{ role: 'user', content: 'Hello' }], max_tokens: 4, ...body });
    const started = performance.now();
    const req = http.request(`${baseURL}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}`, ...headers },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text, ms: performance.now() - started }));
      res.on('error', () => resolve({ status: res.statusCode, headers: res.headers, text, cut: true, ms: performance.now() - started }));
      res.on('aborted', () => resolve({ status: res.statusCode, headers: res.headers, text, cut: true, ms: performance.now() - started }));
    });
    req.on('error', (e) => resolve({ status: 0, error: e.message, text: '', ms: performance.now() - started }));
    req.end(data);
  });
}

async function servedBy(port) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let n = 0;
  for (const line of text.split('\n'))
    if (line.startsWith('tachyon_http_requests_total{') && line.includes('endpoint="/v1/chat/completions"')) n += Number(line.split(' ').pop());
  return n;
}

test('one key, 10 requests per minute, 20 requests through nginx over both replicas: exactly 10 succeed, and usage adds up in PostgreSQL', { skip }, async () => {
  const key = await createKeySeen('shared', ['--rpm', '10']);
  const before = await Promise.all(replicas.map((r) => servedBy(r.port)));
  const results = [];
  for (let i = 0; i < 20; i++) results.push(await chat(nginx.baseURL, key.secret, {}, { 'x-session-id': `session-${i}` }));
  const ok = results.filter((r) => r.status === 200);
  assert.equal(ok.length, 10, JSON.stringify(results.map((r) => r.status)));
  assert.equal(results.filter((r) => r.status === 429).length, 10);
  const after = await Promise.all(replicas.map((r) => servedBy(r.port)));
  const perReplica = after.map((n, i) => n - before[i]);
  assert.ok(perReplica.every((n) => n > 0), `both replicas served: ${perReplica}`);
  const received = ok.map((r) => JSON.parse(r.text).usage);
  const totals = usage(['--key', key.id]).totals;
  assert.equal(totals.requests, 10);
  assert.equal(totals.prompt_tokens, received.reduce((a, u) => a + u.prompt_tokens, 0));
  assert.equal(totals.completion_tokens, received.reduce((a, u) => a + u.completion_tokens, 0));
  console.log(`figure: 20 requests through nginx, split ${perReplica.join('/')} between replicas: 10 x 200, 10 x 429`);
});

test('kill -9 of one replica under 50 streaming clients: clean ends, no lost usage rows, its async job finished by the other', { skip, timeout: 240000 }, async () => {
  const key = await createKeySeen('load');
  // An async job long enough to be running when its replica dies.
  const job = await (await fetch(`${nginx.baseURL}/async/chat/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key.secret}` },
    body: JSON.stringify({ request: { model: modelName, messages: [{ role: 'user', content: 'long' }], max_tokens: 3000, ignore_eos: true } }),
  })).json();
  assert.ok(job.id, JSON.stringify(job));
  let holder = '';
  for (let i = 0; i < 200 && !holder; i++) {
    holder = execFileSync('psql', [pg.url, '-tAc', `SELECT coalesce(lease_holder, '') FROM async_jobs WHERE id = '${job.id}'`], { encoding: 'utf8' }).trim();
    if (!holder) await sleep(50);
  }
  const victim = replicas.find((r) => holder.includes(`/${r.server.pid}/`));
  assert.ok(victim, `job held by ${holder}`);
  const survivor = replicas.find((r) => r !== victim);

  const load = Array.from({ length: 50 }, (_, i) => chat(nginx.baseURL, key.secret,
    { stream: true, max_tokens: 200, ignore_eos: true, messages: [{ role: 'user', content: `stream ${i}` }] },
    { 'x-session-id': `load-${i}` }));
  await sleep(300);
  const killedAt = performance.now();
  await victim.server.kill9();
  const results = await Promise.all(load);
  const complete = results.filter((r) => r.status === 200 && sseData(r.text).at(-1) === '[DONE]');
  const broken = results.filter((r) => !complete.includes(r));
  // Every client got an end: a finished stream, an error status, or a cut connection, none hung.
  for (const r of broken) assert.ok(r.cut || r.status !== 200 || !r.text.includes('[DONE]'), JSON.stringify(r).slice(0, 300));
  assert.ok(complete.length > 0);
  const longest = Math.max(...results.map((r) => r.ms));
  // New requests go to the survivor.
  const after = await Promise.all(Array.from({ length: 10 }, (_, i) => chat(nginx.baseURL, key.secret, {}, { 'x-session-id': `after-${i}` })));
  assert.deepEqual(after.map((r) => r.status), Array(10).fill(200));
  // Every stream a client saw finish has its usage row.
  for (const r of complete) {
    const row = usage(['--request', r.headers['x-request-id']]).totals;
    assert.equal(row.requests, 1, `usage row of ${r.headers['x-request-id']}`);
  }
  // The job: taken over by the survivor once the 3 s lease ran out, and completed.
  let state;
  for (let i = 0; i < 600; i++) {
    state = await (await fetch(`${nginx.baseURL}/async/chat/completions/${job.id}`, { headers: { authorization: `Bearer ${key.secret}` } })).json();
    if (state.status === 'COMPLETED' || state.status === 'FAILED') break;
    await sleep(100);
  }
  assert.equal(state.status, 'COMPLETED', JSON.stringify(state).slice(0, 300));
  const finalHolder = execFileSync('psql', [pg.url, '-tAc', `SELECT coalesce(lease_holder, '') FROM async_jobs WHERE id = '${job.id}'`], { encoding: 'utf8' }).trim();
  console.log(`figure: kill -9 under 50 streams: ${complete.length} finished, ${broken.length} ended early (longest ${longest.toFixed(0)} ms), ` +
              `10/10 new requests served by the survivor; job completed ${((performance.now() - killedAt) / 1000).toFixed(1)} s after the kill (holder now ${finalHolder || 'released'})`);
  // Bring the replica back for the next test.
  victim.server = await startReplica(victim.port);
  void survivor;
});

test('Redis stopped: --redis-failure closed refuses limited keys with 503, open admits them; restarted, limits resume', { skip, timeout: 120000 }, async () => {
  const key = await createKeySeen('redis', ['--rpm', '3']);
  const open = await startReplica(await freePort(), ['--redis-failure', 'open']);
  const closed = replicas[0].server;
  try {
    spawnSync('bash', [path.join(repo, 'scripts/redis_test_server.sh'), 'stop', redis.dir, String(redis.port)]);
    const refused = await chat(closed.baseURL, key.secret, {});
    assert.equal(refused.status, 503, refused.text);
    assert.ok(refused.headers['retry-after']);
    assert.equal((await chat(open.baseURL, key.secret, {})).status, 200);
    const metrics = await (await fetch(`${closed.baseURL}/metrics`)).text();
    assert.equal(metricValue(metrics, 'tachyon_rate_limit_backend_up'), 0);
    execFileSync('bash', [path.join(repo, 'scripts/redis_test_server.sh'), 'start', redis.dir, String(redis.port)]);
    const t0 = performance.now();
    while (metricValue(await (await fetch(`${closed.baseURL}/metrics`)).text(), 'tachyon_rate_limit_backend_up') !== 1) {
      assert.ok(performance.now() - t0 < 10000, 'Redis seen again within 10 s');
      await sleep(100);
    }
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await chat(closed.baseURL, key.secret, {})).status);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
  } finally {
    await open.stop();
  }
});

test('prefix-cache hits with two replicas: consistent hashing by session versus round robin', { skip, timeout: 120000 }, async () => {
  const key = await createKeySeen('affinity');
  const rr = { dir: path.join(tmp, 'nginx-rr'), port: await freePort(), proc: null, baseURL: '' };
  startNginx(rr, replicas.map((r) => r.port), { roundRobin: true });
  try {
    await untilUp(rr.baseURL);
    // 5 conversations of 4 turns (an odd number, so round robin does not line them up with the replicas by chance), each with its own long system prompt; the hit rate is the
    // share of prompt tokens the replicas found in their prefix caches.
    const hitRate = async (baseURL, tag) => {
      let prompt = 0;
      let cached = 0;
      for (let turn = 0; turn < 4; turn++) {
        for (let c = 0; c < 5; c++) {
          const system = `${tag} conversation ${c}: ` + `rule ${c} says be brief and exact. `.repeat(25);
          const messages = [{ role: 'system', content: system }];
          for (let t = 0; t <= turn; t++) messages.push({ role: 'user', content: `question ${t}` }, { role: 'assistant', content: `answer ${t}` });
          messages.pop();
          const r = await chat(baseURL, key.secret, { messages, max_tokens: 1, temperature: 0 }, { 'x-session-id': `${tag}-${c}` });
          assert.equal(r.status, 200, r.text);
          const u = JSON.parse(r.text).usage;
          prompt += u.prompt_tokens;
          cached += u.prompt_tokens_details?.cached_tokens ?? 0;
        }
      }
      return cached / prompt;
    };
    const hashed = await hitRate(nginx.baseURL, 'hashed');
    const roundRobin = await hitRate(rr.baseURL, 'round-robin');
    console.log(`figure: prefix-cache hit rate over 2 replicas, 5 conversations x 4 turns: consistent hash ${(100 * hashed).toFixed(1)}%, round robin ${(100 * roundRobin).toFixed(1)}%`);
    assert.ok(hashed > roundRobin, `hashing ${hashed} should beat round robin ${roundRobin}`);
  } finally {
    rr.proc?.kill('SIGTERM');
  }
});

test('two replicas with copies of one search index answer a query identically', { skip }, async () => {
  const key = await createKeySeen('search');
  const answers = await Promise.all(replicas.map(async (r) => {
    const res = await fetch(`${r.server.baseURL}/search`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key.secret}` },
      body: JSON.stringify({ query: 'keeper lamp', max_results: 5 }),
    });
    assert.equal(res.status, 200);
    return (await res.json()).results;
  }));
  assert.ok(answers[0].length >= 2, JSON.stringify(answers[0]));
  assert.deepEqual(answers[1], answers[0]);
});
