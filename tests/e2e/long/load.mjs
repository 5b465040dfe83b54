// Shared parts of the long reliability runs (overload.mjs, soak.mjs, crash_campaign.mjs): one
// chat request with its outcome, arrival schedules, percentiles, and what /proc says about the
// server process. Not part of the test suite: each run takes minutes (docs/RELIABILITY.md).
import http from 'node:http';
import fs from 'node:fs';

export const agent = new http.Agent({ keepAlive: true, maxSockets: 4096 });

const prompts = [
  'Tell me about the old house by the river.',
  'What did the captain say to the crew?',
  'Describe a winter morning in the village.',
  'Who was the stranger at the inn?',
  'Write a short letter to a friend.',
];

// The body of request number `i`: alternately streamed and not, seeded so reruns send the same.
export function chatBody(model, i, { maxTokens = 32 } = {}) {
  const stream = i % 2 === 0;
  return {
    model, messages: [{ role: 'user', content: prompts[i % prompts.length] }], max_tokens: maxTokens,
    temperature: 0.8, seed: i, stream, ...(stream ? { stream_options: { include_usage: true } } : {}),
  };
}

// Sends one request and classifies its outcome:
//   {kind: 'ok', ms, usage} served to the end ([DONE] for streams), with its usage object
//   {kind: 'refused', status, ms, retryAfter} a 429 or 503 (retryAfter: the header, or null)
//   {kind: 'error', ms, what} anything else: another status, a cut stream, a socket error
export function send(baseURL, body, { secret, requestId, timeoutMs = 120000 } = {}) {
  const data = JSON.stringify(body);
  const started = performance.now();
  const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) };
  if (secret) headers.authorization = `Bearer ${secret}`;
  if (requestId) headers['x-request-id'] = requestId;
  return new Promise((resolve) => {
    const done = (outcome) => resolve({ ms: performance.now() - started, ...outcome });
    const req = http.request(`${baseURL}/v1/chat/completions`, { method: 'POST', agent, headers, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('error', (e) => done({ kind: 'error', what: `response: ${e.code ?? e.message}` }));
      res.on('end', () => {
        if (res.statusCode === 429 || res.statusCode === 503) {
          done({ kind: 'refused', status: res.statusCode, retryAfter: res.headers['retry-after'] ?? null });
          return;
        }
        if (res.statusCode !== 200) {
          done({ kind: 'error', what: `status ${res.statusCode}: ${text.slice(0, 200)}` });
          return;
        }
        const usage = body.stream ? streamUsage(text) : JSON.parse(text).usage;
        if (!usage) done({ kind: 'error', what: 'stream without [DONE] or usage' });
        else done({ kind: 'ok', usage });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => done({ kind: 'error', what: e.code ?? e.message }));
    req.end(data);
  });
}

// The usage chunk of a complete SSE stream; null when the stream has no [DONE] or no usage.
function streamUsage(text) {
  const events = text.split('\n\n').filter((e) => e.startsWith('data: ')).map((e) => e.slice(6));
  if (events.at(-1) !== '[DONE]') return null;
  for (const e of events.slice(0, -1)) {
    const chunk = JSON.parse(e);
    if (chunk.error) return null;
    if (chunk.usage) return chunk.usage;
  }
  return null;
}

// The outcomes of a run sorted by kind, with how often each error was seen.
export function tally(outcomes) {
  const of = (kind) => outcomes.filter((o) => o.kind === kind);
  const errors = of('error');
  const errorKinds = {};
  for (const e of errors) errorKinds[e.what] = (errorKinds[e.what] ?? 0) + 1;
  return { ok: of('ok'), refused: of('refused'), errors, errorKinds };
}

// p-th percentile (0..100) of `values`, nearest rank; null when empty.
export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

// Closed loop: `clients` clients each sending back to back for `seconds`; the completed
// requests per second is what the server sustains with that many in flight.
export async function sustainedRate(baseURL, model, { clients = 16, seconds = 20, secret } = {}) {
  const end = performance.now() + seconds * 1000;
  let served = 0;
  let tokens = 0;
  let next = 0;
  const latencies = [];
  await Promise.all(Array.from({ length: clients }, async () => {
    while (performance.now() < end) {
      const r = await send(baseURL, chatBody(model, next++), { secret });
      if (r.kind !== 'ok') throw new Error(`closed-loop request failed: ${JSON.stringify(r)}`);
      served += 1;
      tokens += r.usage.prompt_tokens + r.usage.completion_tokens;
      latencies.push(r.ms);
    }
  }));
  return { rate: served / seconds, served, tokens, p50_ms: percentile(latencies, 50), p99_ms: percentile(latencies, 99) };
}

// Open loop: starts request i at i / rate seconds for `seconds`, whatever the answers; calls
// `onStart(i)` to send it and collects what each promise resolves to.
export async function openLoop(rate, seconds, onStart) {
  const total = Math.floor(rate * seconds);
  const t0 = performance.now();
  const pending = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(onStart(i));
  }
  return Promise.all(pending);
}

// What /proc says about process `pid`: resident and peak resident memory (MiB), open fds.
export function procStats(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss_mib: kib('VmRSS') / 1024, peak_rss_mib: kib('VmHWM') / 1024, fds: fs.readdirSync(`/proc/${pid}/fd`).length };
}

// Least-squares slope of ys over xs.
export function slope(xs, ys) {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

// `--name value` options of a run script, with defaults; numbers stay numbers.
export function options(defaults) {
  const out = { ...defaults };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    if (!(name in defaults)) throw new Error(`unknown option --${name}; known: ${Object.keys(defaults).join(', ')}`);
    out[name] = typeof defaults[name] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
  }
  return out;
}

// Writes the run's figures as JSON to `file` (if given) and prints them (time series aside).
export function report(file, figures) {
  const { samples, ...summary } = figures;
  console.log(JSON.stringify(summary, null, 2));
  if (file) fs.writeFileSync(file, `${JSON.stringify(figures, null, 2)}\n`);
}
