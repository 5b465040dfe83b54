// Hostile and unlucky clients against a real server: admission decided before the status line
// (a stream is either served to [DONE] or refused with 429 + Retry-After, at 64 and 256 at once),
// clients that leave at every stage (queued, prefilling, decoding, streaming) and how soon their
// KV blocks come back, slowloris senders, thousands of idle connections, oversized and malformed
// input, header injection, pipelining, HTTP/1.0 and Expect: 100-continue. Every case is answered
// or closed within a bound while normal requests are served; the figures printed here ("figure:")
// are the ones docs/RELIABILITY.md quotes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import { startServer, modelName, metricValue, sleep, postJson } from './harness.mjs';
import { assertCompletedStream } from './sse.mjs';

const servers = [];
after(async () => { for (const s of servers) await s.stop(); });
async function server(args) {
  const s = await startServer(args);
  servers.push(s);
  return s;
}

const post = (baseURL, path, body, agent) => postJson(`${baseURL}${path}`, body, agent);

// Sends raw bytes on a new connection and collects what comes back until the server closes it,
// or until `ms` passed (then the socket is closed by us and `closedByServer` is false).
function raw(port, chunks, ms = 5000) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => { socket.destroy(); resolve({ text, closedByServer: false }); }, ms);
    socket.on('connect', () => { for (const c of chunks) socket.write(c); });
    socket.on('data', (d) => { text += d.toString('latin1'); });
    socket.on('close', () => { clearTimeout(timer); resolve({ text, closedByServer: true }); });
    socket.on('error', (e) => { if (e.code !== 'ECONNRESET') reject(e); });
  });
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

// `n` sequential small completions while something else goes on; their latencies in ms.
async function normalLatencies(baseURL, n) {
  const ms = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await post(baseURL, '/v1/completions', { model: modelName, prompt: `ping ${i}`, max_tokens: 2, temperature: 0 });
    assert.equal(r.status, 200, r.text);
    ms.push(performance.now() - t0);
  }
  return ms;
}

for (const n of [64, 256]) {
  test(`${n} streams at once against --max-running 4 --max-waiting 8: each is served to [DONE] or refused with 429 before any byte of a stream`, async () => {
    const s = await server(['--max-running', '4', '--max-waiting', '8', '--max-batch-tokens', '64']);
    const agent = new http.Agent({ keepAlive: false, maxSockets: n });
    const t0 = performance.now();
    const results = await Promise.all(Array.from({ length: n }, (_, i) => post(s.baseURL, '/v1/chat/completions', {
      model: modelName, messages: [{ role: 'user', content: `Hello ${i}` }], max_tokens: 6, stream: true,
      temperature: 0, ignore_eos: true,
    }, agent)));
    const served = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status !== 200);
    for (const r of served) assertCompletedStream(r);
    for (const r of refused) {
      assert.equal(r.status, 429, r.text);
      assert.ok(Number(r.headers['retry-after']) >= 1, 'Retry-After');
      assert.equal(JSON.parse(r.text).error.code, 'rate_limit_exceeded');
    }
    // At least every running slot and waiting place was used.
    assert.ok(served.length >= 12, `${served.length} served`);
    console.log(`figure: ${n} concurrent streams: ${served.length} served, ${refused.length} refused (429), ${(performance.now() - t0).toFixed(0)} ms`);
    agent.destroy();
  });
}

test('a client that leaves is cancelled at every stage, and its KV blocks come back within a step or two', async () => {
  // One running slot and one-token steps: a queued request stays queued, a prompt of a few
  // hundred tokens prefills for many steps.
  const s = await server(['--max-running', '1', '--max-batch-tokens', '1', '--ctx', '8192']);
  const metrics = async () => {
    const text = await (await fetch(`${s.baseURL}/metrics`)).text();
    return {
      running: metricValue(text, 'tachyon_num_requests_running'),
      waiting: metricValue(text, 'tachyon_num_requests_waiting'),
      free: metricValue(text, 'tachyon_kv_cache_free_blocks'),
      cancelled: metricValue(text, 'tachyon_num_cancelled_requests') ?? 0,
    };
  };
  const until = async (pred, what, ms = 10000) => {
    const t0 = performance.now();
    for (;;) {
      const m = await metrics();
      if (pred(m)) return performance.now() - t0;
      if (performance.now() - t0 > ms) assert.fail(`${what}: ${JSON.stringify(m)}`);
      await sleep(2);
    }
  };
  // Starts a request on its own socket; returns a function that drops the connection.
  const open = (body, onData) => {
    const req = http.request(`${s.baseURL}${body.prompt ? '/v1/completions' : '/v1/chat/completions'}`,
      { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => res.on('data', onData ?? (() => {})));
    req.on('error', () => {});
    req.end(JSON.stringify(body));
    return () => req.destroy();
  };
  const idle = await metrics();
  const long = { model: modelName, prompt: 'x', max_tokens: 7000, ignore_eos: true };
  const figures = [];
  const leave = async (stage, drop, cancelledBefore) => {
    drop();
    const ms = await until((m) => m.cancelled > cancelledBefore, `${stage}: cancellation counted`);
    figures.push(`${stage} ${ms.toFixed(0)} ms`);
  };

  // Queued: a long request holds the only slot, a second one waits, then leaves.
  const dropRunning = open({ ...long, stream: true });
  await until((m) => m.running === 1, 'first request running');
  let before = (await metrics()).cancelled;
  const dropQueued = open(long);
  await until((m) => m.waiting === 1, 'second request queued');
  await leave('queued', dropQueued, before);
  await until((m) => m.waiting === 0, 'queue empty');
  before = (await metrics()).cancelled;
  await leave('streaming', dropRunning, before);
  await until((m) => m.running === 0 && m.free === idle.free, 'blocks back after streaming');

  // Prefilling: hundreds of prompt tokens one per step, left before the first token.
  before = (await metrics()).cancelled;
  const dropPrefill = open({ ...long, prompt: 'word '.repeat(200) });
  await until((m) => m.running === 1, 'prefill running');
  await sleep(50);
  await leave('prefilling', dropPrefill, before);
  await until((m) => m.running === 0 && m.free === idle.free, 'blocks back after prefill');

  // Decoding, not streaming: nothing is written to the client until the end.
  before = (await metrics()).cancelled;
  const dropDecode = open(long);
  await until((m) => m.running === 1, 'decode running');
  await sleep(300);
  await leave('decoding (non-streaming)', dropDecode, before);
  const back = await until((m) => m.running === 0 && m.waiting === 0 && m.free === idle.free, 'blocks back after decode');
  console.log(`figure: disconnect to cancellation: ${figures.join(', ')}; blocks all free ${back.toFixed(0)} ms after the last`);
  assert.equal((await metrics()).cancelled, 4);
});

test('slowloris: 200 connections trickling header bytes are closed after --header-timeout while others are served', async () => {
  const s = await server(['--header-timeout', '2']);
  const t0 = performance.now();
  const slow = Array.from({ length: 200 }, () => new Promise((resolve) => {
    const socket = net.connect(s.port, '127.0.0.1');
    let timer;
    socket.on('connect', () => {
      socket.write('POST /v1/completions HTTP/1.1\r\nHost: x\r\n');
      timer = setInterval(() => socket.write('X'), 500);
    });
    socket.on('error', () => {});
    socket.on('close', () => { clearInterval(timer); resolve(performance.now() - t0); });
  }));
  await sleep(200);
  const latencies = await normalLatencies(s.baseURL, 20);
  const closedAfter = await Promise.race([Promise.all(slow), sleep(10000).then(() => null)]);
  assert.ok(closedAfter, 'slow connections still open after 10 s');
  const last = Math.max(...closedAfter);
  assert.ok(last < 5000, `last slow connection closed after ${last} ms`);
  console.log(`figure: slowloris x200: all closed by ${last.toFixed(0)} ms (header timeout 2 s); ` +
              `20 normal requests meanwhile p50 ${percentile(latencies, 0.5).toFixed(1)} ms p99 ${percentile(latencies, 0.99).toFixed(1)} ms`);
});

test('3,000 idle connections cost no service', async () => {
  const s = await server([]);
  const idle = [];
  for (let i = 0; i < 3000; i++) {
    idle.push(await new Promise((resolve, reject) => {
      const c = net.connect(s.port, '127.0.0.1', () => resolve(c));
      c.on('error', reject);
    }));
  }
  const latencies = await normalLatencies(s.baseURL, 20);
  const open = idle.filter((c) => !c.destroyed).length;
  console.log(`figure: 3000 idle connections (${open} still open): 20 requests p50 ${percentile(latencies, 0.5).toFixed(1)} ms p99 ${percentile(latencies, 0.99).toFixed(1)} ms`);
  assert.equal(open, 3000);
  for (const c of idle) c.destroy();
});

test('oversized, malformed and hostile requests get their error in bounded time', async () => {
  const s = await server(['--max-header-kib', '8', '--max-body-mib', '1']);
  const reply = async (chunks) => {
    const t0 = performance.now();
    const r = await raw(s.port, chunks, 5000);
    return { ...r, ms: performance.now() - t0, status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(r.text)?.[1]) };
  };
  const post = (path, body, extra = '') => {
    const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
    return [Buffer.concat([Buffer.from(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${extra}Content-Length: ${b.length}\r\nConnection: close\r\n\r\n`), b])];
  };
  const chat = (body, extra = '') => post('/v1/chat/completions', body, extra);
  const cases = [];
  const check = (name, r, status) => {
    assert.equal(r.status, status, `${name}: ${r.text.slice(0, 300)}`);
    if (status >= 400) {
      const body = JSON.parse(r.text.slice(r.text.indexOf('\r\n\r\n') + 4));
      assert.ok(body.error && typeof body.error.message === 'string', `${name}: error shape`);
    }
    assert.ok(r.ms < 5000, `${name}: ${r.ms} ms`);
    cases.push(`${name} ${status} ${r.ms.toFixed(0)} ms`);
  };
  check('20 KiB header', await reply([`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 << 10)}\r\n\r\n`]), 431);
  check('2 MiB body', await reply(chat('x'.repeat(2 << 20))), 413);
  check('JSON nested 100,000 deep', await reply(chat('['.repeat(100000) + ']'.repeat(100000))), 400);
  // Inside a field, where a handler once printed or copied the value: that recursion, not the
  // parser, overflowed the stack at a few hundred thousand levels and ended the process.
  const deep = (field) => `{"model":"${modelName}","${field}":${'['.repeat(400000)}${']'.repeat(400000)}}`;
  for (const [path, field] of [['/detokenize', 'tokens'], ['/tokenize', 'content'], ['/v1/embeddings', 'input'],
    ['/v1/completions', 'prompt'], ['/async/chat/completions', 'request'], ['/admin/keys', 'name']]) {
    const r = await reply(post(path, deep(field)));
    check(`${path} with '${field}' nested 400,000 deep`, r, 400);
    assert.match(r.text, /more than 256 levels deep/);
  }
  const bad = Buffer.from(`{"model":"${modelName}","messages":[{"role":"user","content":"\xff\xfe bad"}]}`, 'latin1');
  check('invalid UTF-8', await reply(chat(bad)), 400);

  // Paths are the client's to choose: metrics count requests by route, so probing 200 random
  // paths (and ids under a route) adds no label.
  for (let i = 0; i < 100; i++) {
    await reply([`GET /probe-${i} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`]);
    await reply([`GET /v1/models/id-${i} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`]);
  }
  const metrics = await (await fetch(`${s.baseURL}/metrics`)).text();
  const endpoints = new Set([...metrics.matchAll(/endpoint="([^"]*)"/g)].map((m) => m[1]));
  assert.ok(!metrics.includes('probe-') && !metrics.includes('id-1'), [...endpoints].join(' '));
  assert.ok(endpoints.has('unmatched') && endpoints.has('/v1/models/{id}'), [...endpoints].join(' '));

  // A header value with a control byte is a malformed request; an X-Request-ID that is merely
  // unusual (spaces, too long) is replaced by a fresh id, never echoed; a folded line cannot
  // smuggle a header into the response.
  check('X-Request-ID with a control byte', await reply(['GET /health HTTP/1.1\r\nHost: x\r\nX-Request-ID: abc\x01def\r\nConnection: close\r\n\r\n']), 400);
  for (const value of ['two words', 'a'.repeat(300)]) {
    const r = await reply([`GET /health HTTP/1.1\r\nHost: x\r\nX-Request-ID: ${value}\r\nConnection: close\r\n\r\n`]);
    check(`X-Request-ID of ${value.length} characters`, r, 200);
    assert.match(/\r\nx-request-id: ([^\r\n]*)/i.exec(r.text)?.[1], /^[0-9a-f]{32}$/, 'a fresh request id replaces the bad one');
  }
  const folded = await reply(['GET /health HTTP/1.1\r\nHost: x\r\nX-Request-ID: abc\r\n Set-Cookie: evil=1\r\nConnection: close\r\n\r\n']);
  assert.ok(!/set-cookie/i.test(folded.text), 'no header smuggled into the response');
  cases.push(`folded X-Request-ID ${folded.status}`);

  // Pipelined requests are answered in order on one connection.
  const piped = await reply(['GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/models HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
  assert.equal((piped.text.match(/HTTP\/1\.1 200 OK\r\n/g) ?? []).length, 3, piped.text.slice(0, 500));
  assert.ok(piped.text.indexOf('"data"') > piped.text.indexOf('HTTP/1.1 200'), 'the models list is the second answer');
  cases.push(`3 pipelined 200 ${piped.ms.toFixed(0)} ms`);

  // A Transfer-Encoding not ending in chunked has no knowable length: 400 and close, so the
  // bytes after the header are never read as a second request.
  const smuggle = await reply(['POST /tokenize HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n']);
  check('Transfer-Encoding: gzip', smuggle, 400);
  assert.equal((smuggle.text.match(/HTTP\/1\.1 /g) ?? []).length, 1, smuggle.text);
  assert.ok(smuggle.closedByServer, 'closed after the 400');

  // HTTP/1.0: answered and closed; a stream ends with [DONE] and the close.
  const old = await reply(['GET /health HTTP/1.0\r\n\r\n']);
  assert.ok(old.closedByServer && /^HTTP\/1\.[01] 200/.test(old.text), old.text);
  const body10 = JSON.stringify({ model: modelName, messages: [{ role: 'user', content: 'hi' }], max_tokens: 3, stream: true });
  const stream10 = await reply([`POST /v1/chat/completions HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: ${body10.length}\r\n\r\n${body10}`]);
  assert.ok(stream10.closedByServer && stream10.text.includes('data: [DONE]'), stream10.text.slice(0, 500));
  cases.push(`HTTP/1.0 stream ${stream10.ms.toFixed(0)} ms`);

  // Expect: 100-continue gets its interim answer before the body is sent.
  const expect = await new Promise((resolve, reject) => {
    const body = JSON.stringify({ model: modelName, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });
    const socket = net.connect(s.port, '127.0.0.1');
    let text = '';
    socket.on('connect', () => socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`));
    socket.on('data', (d) => {
      const first = text === '';
      text += d;
      if (first && text.startsWith('HTTP/1.1 100')) socket.write(body);
    });
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
    setTimeout(() => { socket.destroy(); resolve(text); }, 5000);
  });
  assert.match(expect, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200/, expect.slice(0, 200));
  cases.push('Expect: 100-continue 200');

  const health = await fetch(`${s.baseURL}/health`);
  assert.equal(health.status, 200);
  console.log(`figure: hostile inputs: ${cases.join('; ')}`);
});

test('SIGTERM drains the request in flight; a second SIGTERM exits at once', async () => {
  const s = await startServer(['--ctx', '8192', '--shutdown-grace', '60']);
  let received = 0;
  const req = http.request(`${s.baseURL}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } },
    (res) => res.on('data', (d) => { received += d.length; }));
  req.on('error', () => {});
  req.end(JSON.stringify({ model: modelName, prompt: 'x', max_tokens: 7000, ignore_eos: true, stream: true }));
  while (received === 0) await sleep(5);
  const exited = s.stop();  // the first SIGTERM: the stream goes on
  let done = false;
  exited.then(() => { done = true; });
  const during = received;
  await sleep(500);
  assert.ok(!done, 'still draining half a second after the first SIGTERM');
  assert.ok(received > during, 'the stream in flight kept going');
  const t0 = performance.now();
  process.kill(s.pid, 'SIGTERM');
  const { code } = await exited;
  const ms = performance.now() - t0;
  console.log(`figure: second SIGTERM to exit ${ms.toFixed(0)} ms (exit code ${code})`);
  assert.ok(ms < 2000, `${ms} ms`);
  assert.equal(code, 1);
  req.destroy();
});
