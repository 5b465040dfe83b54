// Soak: mixed streaming and non-streaming chat on the bundled model, with an API key (so keys,
// rate limits, usage rows and request logs are all in play), at 12 requests/s (the seed's
// "over one million requests a day") or at `headroom` of the rate the server sustains here,
// whichever is lower, for `seconds`. Reports errors (none allowed but 429s), the RSS slope over
// the second half, open file descriptors over time, and checks the usage store counts every
// request served.
//   node tests/e2e/long/soak.mjs [--seconds 1800] [--rate 12] [--out soak.json]
import path from 'node:path';
import { startServer, bundledModel, createKey, tempDataDir, tachyon } from '../harness.mjs';
import { send, chatBody, sustainedRate, openLoop, percentile, tally, procStats, slope, options, report } from './load.mjs';

const opt = options({ seconds: 1800, rate: 12, headroom: 0.8, warmup: 20, out: '' });
const dataDir = path.join(tempDataDir(), 'data');
const key = createKey(dataDir, 'soak', ['--rpm', '100000']);
const server = await startServer(['--data-dir', dataDir], {}, bundledModel);
const model = bundledModel.name;
await new Promise((r) => setTimeout(r, 1200));  // the key ring reloads every second

const sustained = await sustainedRate(server.baseURL, model, { clients: 16, seconds: opt.warmup, secret: key.secret });
const rate = Math.min(opt.rate, sustained.rate * opt.headroom);
const limitedBy = rate < opt.rate ? 'the server' : 'the target';
console.error(`sustained ${sustained.rate.toFixed(1)} req/s; soaking at ${rate.toFixed(1)} req/s (set by ${limitedBy}) for ${opt.seconds} s`);

const t0 = performance.now();
const samples = [];
const sample = () => samples.push({ t: (performance.now() - t0) / 1000, ...procStats(server.pid) });
sample();
const sampler = setInterval(sample, 10000);
let progressAt = 0;
const outcomes = await openLoop(rate, opt.seconds, (i) => {
  const at = Math.floor((i / rate) / 60);
  if (at > progressAt) {
    progressAt = at;
    const s = samples.at(-1);
    console.error(`${at} min: ${i} requests sent, RSS ${s.rss_mib.toFixed(1)} MiB, ${s.fds} fds`);
  }
  return send(server.baseURL, chatBody(model, i), { secret: key.secret, requestId: `soak-${i}` });
});
clearInterval(sampler);
sample();
const { code } = await server.stop();

const { ok, refused, errors, errorKinds } = tally(outcomes);
const half = samples.filter((s) => s.t >= opt.seconds / 2);
const usage = JSON.parse(tachyon(['usage', '--json', '--key', key.id, '--data-dir', dataDir])).totals;
const received = ok.reduce((a, o) => a + o.usage.prompt_tokens + o.usage.completion_tokens, 0);
const figures = {
  model, options: opt, sustained_rate_rps: sustained.rate, rate_rps: rate, rate_set_by: limitedBy,
  sent: outcomes.length, served: ok.length, refused_429: refused.filter((o) => o.status === 429).length,
  refused_other: refused.filter((o) => o.status !== 429).length, errors: errors.length, error_kinds: errorKinds,
  p50_ms: percentile(ok.map((o) => o.ms), 50), p99_ms: percentile(ok.map((o) => o.ms), 99),
  rss_start_mib: samples[0].rss_mib, rss_end_mib: samples.at(-1).rss_mib, peak_rss_mib: samples.at(-1).peak_rss_mib,
  rss_slope_second_half_mib_per_hour: slope(half.map((s) => s.t), half.map((s) => s.rss_mib)) * 3600,
  fds_start: samples[0].fds, fds_max: Math.max(...samples.map((s) => s.fds)), fds_end: samples.at(-1).fds,
  usage_rows: usage.requests, usage_tokens: usage.prompt_tokens + usage.completion_tokens, tokens_received: received,
  exit_code: code, samples,
};
// Rows are committed before a response's last byte, so every served request has its row; the
// warm-up's requests are counted too.
figures.usage_matches = usage.requests === ok.length + sustained.served && figures.usage_tokens === received + sustained.tokens;
report(opt.out, figures);
const failed = errors.length > 0 || figures.refused_other > 0 || code !== 0 || !figures.usage_matches;
process.exit(failed ? 1 : 0);
