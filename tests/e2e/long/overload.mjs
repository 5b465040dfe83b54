// Overload: the bundled model at `factor` times the request rate it sustains, for `seconds`.
// Every request must end as served to the end (200, streams with [DONE]) or refused with 429/503
// and Retry-After; nothing else. Reports the sustained rate, what happened to the excess, the
// latency of served requests and of refusals, and the server's peak RSS.
//   node tests/e2e/long/overload.mjs [--factor 10] [--seconds 120] [--out overload.json]
import { startServer, bundledModel } from '../harness.mjs';
import { send, chatBody, sustainedRate, openLoop, percentile, tally, procStats, options, report } from './load.mjs';

const opt = options({ factor: 10, seconds: 120, warmup: 20, 'max-running': 16, 'max-waiting': 256, 'max-waiting-tokens': 8192, out: '' });
const server = await startServer(['--max-running', String(opt['max-running']), '--max-waiting', String(opt['max-waiting']),
  '--max-waiting-tokens', String(opt['max-waiting-tokens'])], {}, bundledModel);
const model = bundledModel.name;

const sustained = await sustainedRate(server.baseURL, model, { clients: opt['max-running'], seconds: opt.warmup });
const before = procStats(server.pid);
const rate = sustained.rate * opt.factor;
console.error(`sustained ${sustained.rate.toFixed(1)} req/s; offering ${rate.toFixed(0)} req/s for ${opt.seconds} s`);

const samples = [];
const t0 = performance.now();
const sampler = setInterval(() => samples.push({ t: (performance.now() - t0) / 1000, ...procStats(server.pid) }), 1000);
const outcomes = await openLoop(rate, opt.seconds, (i) => send(server.baseURL, chatBody(model, 1e6 + i)));
const wall = (performance.now() - t0) / 1000;
clearInterval(sampler);
const after = procStats(server.pid);
const healthy = await send(server.baseURL, chatBody(model, 1));
const { code } = await server.stop();

const { ok, refused, errors, errorKinds } = tally(outcomes);
const figures = {
  model, options: opt,
  sustained_rate_rps: sustained.rate, sustained_p50_ms: sustained.p50_ms, sustained_p99_ms: sustained.p99_ms,
  offered_rate_rps: rate, offered: outcomes.length, wall_s: wall,
  served: ok.length, served_rate_rps: ok.length / wall,
  served_p50_ms: percentile(ok.map((o) => o.ms), 50), served_p99_ms: percentile(ok.map((o) => o.ms), 99),
  refused_429: refused.filter((o) => o.status === 429).length, refused_503: refused.filter((o) => o.status === 503).length,
  refused_without_retry_after: refused.filter((o) => o.retryAfter === null).length,
  refusal_p50_ms: percentile(refused.map((o) => o.ms), 50), refusal_p99_ms: percentile(refused.map((o) => o.ms), 99),
  errors: errors.length, error_kinds: errorKinds,
  rss_before_mib: before.rss_mib, peak_rss_mib: after.peak_rss_mib,
  rss_max_sampled_mib: Math.max(...samples.map((s) => s.rss_mib)), rss_after_mib: after.rss_mib,
  fds_before: before.fds, fds_after: after.fds,
  healthy_after: healthy.kind === 'ok', exit_code: code, samples,
};
report(opt.out, figures);
const failed = errors.length > 0 || figures.refused_without_retry_after > 0 || !figures.healthy_after || code !== 0;
process.exit(failed ? 1 : 0);
