// Starts a real `tachyon serve` on 127.0.0.1 with an ephemeral port and stops it after the tests.
import { spawn, execFileSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '../..');
export const tachyonBin = process.env.TACHYON_BIN ?? path.join(repo, 'build/src/app/tachyon');
// A 10k-vocab random-weight llama model from the reference data, with a Zephyr chat template.
export const testModel = process.env.TACHYON_E2E_MODEL ?? path.join(repo, 'tests/data/models/golden-llama-256-Q4_0.gguf');
export const modelName = 'golden-q4';
// The bundled model (a 7.7 M-parameter Llama trained on English prose, knowing nothing of JSON).
export const bundledModel = { name: 'tachyon-mini', path: path.join(repo, 'models/tachyon-mini-q8_0.gguf') };

// A fresh data directory (key store and usage), removed when the test process exits.
export function tempDataDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tachyon-e2e-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// Runs `tachyon ARGS...` to completion and returns its stdout (throws on a non-zero exit).
export function tachyon(args, options = {}) {
  return execFileSync(tachyonBin, args, { encoding: 'utf8', ...options });
}

// Creates an API key with the CLI; returns its JSON ({id, name, secret, ...}).
export function createKey(dataDir, name, extra = []) {
  return JSON.parse(tachyon(['keys', 'create', '--name', name, '--data-dir', dataDir, '--json', ...extra]));
}

// Starts a server; without --data-dir in extraArgs it gets a fresh, empty one (open mode), and
// without --port an ephemeral port.
// `model` picks what it serves (default: the random-weight test model as `golden-q4`).
export async function startServer(extraArgs = [], env = {}, model = { name: modelName, path: testModel }) {
  const dataArgs = extraArgs.includes('--data-dir') ? [] : ['--data-dir', tempDataDir()];
  const portArgs = extraArgs.includes('--port') ? [] : ['--port', '0'];
  const args = ['serve', ...portArgs, '--model', `${model.name}=${model.path}`, '--quiet', ...dataArgs, ...extraArgs];
  const proc = spawn(tachyonBin, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${stderr}`)), 60000);
    proc.stderr.on('data', (chunk) => {
      stderr += chunk;
      const m = /serving .* on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${stderr}`)));
  });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    port,
    baseURL: `http://127.0.0.1:${port}`,
    pid: proc.pid,
    stderr: () => stderr,
    async stop() {
      proc.kill('SIGTERM');
      return exited;
    },
    async kill9() {
      proc.kill('SIGKILL');
      return exited;
    },
  };
}

// Reads one Prometheus gauge/counter value (first sample whose name and labels match).
export function metricValue(text, name) {
  for (const line of text.split('\n')) {
    if (line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{')) {
      return Number(line.trim().split(/\s+/).pop());
    }
  }
  return undefined;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A TCP port nothing listens on right now (for a server that must come back on the same port).
export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// POSTs `body` as JSON with node's http client (optionally through `agent`); resolves to
// {status, headers, text} once the whole answer, SSE streams included, is in.
export function postJson(url, body, agent) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(url, {
      method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

// What the store must hold after clients were cut off by kills: the usage objects they received
// in full, plus the rows of cut requests (looked up by X-Request-ID) whose row was committed in
// the instant before their last byte. Returns the expected and the stored totals of `keyId`
// (requests, prompt and completion tokens, cost in micro-dollars) and how many cut requests
// had a row.
export function usageAfterKills(dataDir, keyId, received, cutIds) {
  const micros = (x) => Math.round(x * 1e6);
  const expected = { requests: 0, prompt_tokens: 0, completion_tokens: 0, cost_micros: 0 };
  const add = (requests, prompt, completion, cost) => {
    expected.requests += requests;
    expected.prompt_tokens += prompt;
    expected.completion_tokens += completion;
    expected.cost_micros += cost;
  };
  for (const u of received) add(1, u.prompt_tokens, u.completion_tokens, micros(u.cost.total_cost));
  let committedButCut = 0;
  for (const id of cutIds) {
    const row = JSON.parse(tachyon(['usage', '--json', '--request', id, '--data-dir', dataDir])).totals;
    if (row.requests === 0) continue;
    committedButCut += 1;
    add(row.requests, row.prompt_tokens, row.completion_tokens, micros(row.cost.total_cost));
  }
  const totals = JSON.parse(tachyon(['usage', '--json', '--key', keyId, '--data-dir', dataDir])).totals;
  const stored = { requests: totals.requests, prompt_tokens: totals.prompt_tokens, completion_tokens: totals.completion_tokens,
    cost_micros: micros(totals.cost.total_cost) };
  return { expected, stored, committedButCut };
}
