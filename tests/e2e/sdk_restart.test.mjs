// The C++ client SDK while its server dies: a 300-call load (16 at a time, a third of them streams)
// through one AsyncClient, the server killed with SIGKILL a second in and started again on the
// same port. Every call ends, as a success (possibly after retries) or as APIConnectionError /
// APITimeoutError, none outlives its timeout, and the client's PerformanceMonitor counts add up
// (tests/sdk/restart_probe.cpp checks and prints them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { startServer, modelName, sleep, freePort } from './harness.mjs';

const probe = process.env.TACHYON_SDK_RESTART_PROBE;
const skip = !probe || !fs.existsSync(probe) ? 'TACHYON_SDK_RESTART_PROBE is not set (build sdk_restart_probe)' : false;


test('server killed and restarted under a C++ client load: every call ends, typed, in time', { skip, timeout: 300000 }, async () => {
  const port = await freePort();
  let server = await startServer(['--port', String(port)]);
  const run = new Promise((resolve) => {
    execFile(probe, ['300', '16', '10'], {
      env: { ...process.env, TACHYON_BASE_URL: `http://127.0.0.1:${port}`, TACHYON_MODEL: modelName, TACHYON_API_KEY: '' },
      timeout: 240000,
    }, (error, stdout, stderr) => resolve({ code: error ? (error.code ?? error.signal) : 0, stdout, stderr }));
  });
  await sleep(1000);
  await server.kill9();
  await sleep(500);
  server = await startServer(['--port', String(port)]);
  try {
    const r = await run;
    const report = JSON.parse(r.stdout.trim().split('\n').pop());
    console.log(`figure: kill -9 and restart under 300 SDK calls: ${JSON.stringify(report)}`);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.equal(report.done, 300);
    assert.ok(report.successes > 0);
  } finally {
    await server.stop();
  }
});
