// The npm openai SDK's side of scripts/sdk_overhead.sh: N chat completions from CONCURRENCY loops
// against the same instant server the C++ client measures.
//   node tests/e2e/sdk_overhead_openai.mjs URL N CONCURRENCY
import OpenAI from 'openai';

const [url, n, concurrency] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'bench', maxRetries: 0 });
let next = 0;
let ok = 0;
let failed = 0;
async function worker() {
  while (next < n) {
    next += 1;
    try {
      const answer = await client.chat.completions.create({ model: 'bench', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 1 });
      if (answer.choices.length === 1) ok += 1;
    } catch {
      failed += 1;
    }
  }
}
const start = performance.now();
await Promise.all(Array.from({ length: concurrency }, worker));
const seconds = (performance.now() - start) / 1000;
console.log(`openai (npm ${(await import('openai/version')).VERSION}): ${ok + failed} requests (${failed} failed), concurrency ${concurrency}: ${Math.round((ok + failed) / seconds)} requests/s`);
process.exit(failed === 0 ? 0 : 1);
