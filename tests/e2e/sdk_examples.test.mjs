// The C++ client SDK's examples (sdk/examples/) against a live tachyon: each program exits 0 only
// when what it demonstrates worked. TACHYON_SDK_EXAMPLES_DIR (set by CMake) holds the binaries.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, createKey, tempDataDir, modelName } from './harness.mjs';

const examplesDir = process.env.TACHYON_SDK_EXAMPLES_DIR;
const skip = !examplesDir || !fs.existsSync(path.join(examplesDir, 'basic_async'))
  ? 'TACHYON_SDK_EXAMPLES_DIR does not hold the SDK examples (build sdk_examples)' : false;

function run(name, args, env, timeout = 120000) {
  return new Promise((resolve) => {
    execFile(path.join(examplesDir, name), args, { env: { ...process.env, ...env }, timeout },
      (error, stdout, stderr) => resolve({ code: error ? (error.code ?? error.signal) : 0, stdout, stderr }));
  });
}

let server;
before(async () => {
  if (!skip) server = await startServer();
});
after(async () => {
  await server?.stop();
});

const open = () => ({ TACHYON_BASE_URL: server.baseURL, TACHYON_MODEL: modelName, TACHYON_API_KEY: '' });

const examples = [
  ['basic_async', [], /tokens: \d+ prompt, \d+ completion/],
  ['concurrent_requests', ['20'], /20 succeeded, 0 failed/],
  ['batch_rate_limit', ['10', '50', '5'], /10 succeeded, 0 rate limited, 0 failed/],
  ['raw_response', [], /Status Code: 200\nRequest ID: \S+/],
  ['streaming', [], /\d+ chunks; usage: \d+ completion tokens\nleft a second stream after 3 chunks/],
  ['connection_pooling', ['100'], /100\/100 requests over \d+ connections/],
  ['performance_monitoring', [], /requests 10 \(errors 0, retries 0\).*ttft ms p50/],
  ['memory_bounded', ['200'], /processed 200 of 200 \(failed 0\)/],
];

for (const [name, args, expected] of examples) {
  test(`sdk example ${name}`, { skip }, async () => {
    const r = await run(name, args, open());
    assert.equal(r.code, 0, `${name} failed:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, expected);
  });
}

test('sdk example raw_response reads a limited key\'s rate-limit headers', { skip }, async () => {
  const dataDir = tempDataDir();
  const key = createKey(dataDir, 'raw', ['--rpm', '50']);
  const limited = await startServer(['--data-dir', dataDir]);
  try {
    const r = await run('raw_response', [], { ...open(), TACHYON_BASE_URL: limited.baseURL, TACHYON_API_KEY: key.secret });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Rate Limit Remaining: 49\n/);
    assert.match(r.stdout, /Rate Limit Reset: [\d.]+ s\n/);
  } finally {
    await limited.stop();
  }
});

// 20 requests at one a second with a key allowed 5 a minute: the first five pass at once, the
// others are admitted every 12 s through Retry-After, and none surfaces as RateLimitError (~3 min).
test('sdk batch() at 1 request/s under a 5 rpm key: no RateLimitError', { skip, timeout: 600000 }, async () => {
  const dataDir = tempDataDir();
  const key = createKey(dataDir, 'batch', ['--rpm', '5']);
  const limited = await startServer(['--data-dir', dataDir]);
  try {
    const r = await run('batch_rate_limit', ['20', '1', '5'],
      { ...open(), TACHYON_BASE_URL: limited.baseURL, TACHYON_API_KEY: key.secret }, 540000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /20 succeeded, 0 rate limited, 0 failed/);
  } finally {
    await limited.stop();
  }
});
