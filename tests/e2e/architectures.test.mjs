// Every decoder architecture served over HTTP as a user would: a real `tachyon serve` on each of
// the reference models in ../shared/testdata/arch, a greedy completion of the golden prompt's
// tokens reproduces llama.cpp's greedy continuation (up to its first near-tie), the same server
// answers /v1/embeddings (mean-pooled final hidden states, unit length), and `tachyon model info`
// names the architecture. Skipped, saying so, where the data is absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { repo, startServer, tachyon } from './harness.mjs';

const arch = path.resolve(repo, '../shared/testdata/arch');
const skip = fs.existsSync(arch) ? false : `${arch} is absent`;

// Top-1 margins at or below this may flip between implementations (the README's M).
const nearTie = { mpt: 0.05, qwen2: 0.05, phi3: 0.05, gemma2: 0.1 };

async function post(baseURL, route, body) {
  const res = await fetch(baseURL + route, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

for (const name of Object.keys(nearTie)) {
  test(`${name}: served greedy completion matches llama.cpp`, { skip }, async () => {
    const file = path.join(arch, 'models', `arch-${name}-128-F32.gguf`);
    assert.match(tachyon(['model', 'info', file]), new RegExp(`architecture: ${name} `));
    // Of the two prompts, the one whose continuation runs longer before its first near-tie.
    const runs = ['p1', 'p2'].map((pid) => {
      const golden = JSON.parse(fs.readFileSync(path.join(arch, 'golden', `arch-${name}-128-F32.${pid}.json`), 'utf8'));
      const n = golden.prompt_tokens.length;
      let steps = 0;
      while (steps < golden.continuation_tokens.length) {
        const top = golden.positions[n - 1 + steps].top;
        if (top[0][1] - top[1][1] <= nearTie[name]) break;
        ++steps;
      }
      return { golden, steps };
    });
    const { golden, steps } = runs[0].steps >= runs[1].steps ? runs[0] : runs[1];
    assert.ok(steps >= 4, `only ${steps} steps before a near-tie`);
    const server = await startServer([], {}, { name, path: file });
    try {
      const done = await post(server.baseURL, '/v1/completions', {
        model: name, prompt: golden.prompt_tokens, max_tokens: steps, temperature: 0,
      });
      assert.equal(done.status, 200, JSON.stringify(done.json));
      assert.equal(done.json.usage.completion_tokens, steps);
      const expected = await post(server.baseURL, '/detokenize', { tokens: golden.continuation_tokens.slice(0, steps) });
      assert.equal(done.json.choices[0].text.trim(), expected.json.content.trim());

      const embedded = await post(server.baseURL, '/v1/embeddings', { model: name, input: [golden.prompt_tokens, golden.prompt_tokens.slice(0, 3)] });
      assert.equal(embedded.status, 200, JSON.stringify(embedded.json));
      assert.equal(embedded.json.data.length, 2);
      assert.equal(embedded.json.usage.prompt_tokens, golden.prompt_tokens.length + 3);
      for (const { embedding } of embedded.json.data) {
        assert.equal(embedding.length, 128);  // embedding_length of every reference decoder
        assert.ok(Math.abs(Math.hypot(...embedding) - 1) < 1e-4);
      }
      assert.notDeepEqual(embedded.json.data[0].embedding, embedded.json.data[1].embedding);
    } finally {
      await server.stop();
    }
  });
}
