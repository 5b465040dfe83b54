// Embeddings out of the box: the bundled model (a decoder) serves POST /v1/embeddings with its
// mean-pooled, L2-normalised final hidden states, through the npm `openai` client, float and
// base64 alike; each input's vector is the same alone or in a batch, and repeatable.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

import { bundledModel, startServer } from './harness.mjs';

let server;
let client;
before(async () => {
  server = await startServer([], {}, bundledModel);
  client = new OpenAI({ baseURL: `${server.baseURL}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(async () => server?.stop());

const norm = (v) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const cosine = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0) / (norm(a) * norm(b));

test('the bundled model embeds text, float and base64', async () => {
  const input = 'It is a truth universally acknowledged, that a single man in possession of a good fortune';
  const asFloat = await client.embeddings.create({ model: bundledModel.name, input, encoding_format: 'float' });
  const vector = asFloat.data[0].embedding;
  assert.ok(vector.length >= 64, `dimension ${vector.length}`);
  assert.ok(Math.abs(norm(vector) - 1) < 1e-5);
  assert.ok(asFloat.usage.prompt_tokens > 5);
  assert.equal(asFloat.usage.total_tokens, asFloat.usage.prompt_tokens);
  // The client's default asks for base64 and decodes it: the same float32 values.
  const asBase64 = await client.embeddings.create({ model: bundledModel.name, input });
  assert.deepEqual(asBase64.data[0].embedding, vector.map((x) => Math.fround(x)));
});

test('each input gets the vector it gets alone, every time', async () => {
  const texts = ['The whale rose out of the sea.', 'Call me Ishmael.', 'A shadow crossed the deck at noon.'];
  const batch = await client.embeddings.create({ model: bundledModel.name, input: texts, encoding_format: 'float' });
  assert.deepEqual(batch.data.map((d) => d.index), [0, 1, 2]);
  for (const [i, text] of texts.entries()) {
    const alone = await client.embeddings.create({ model: bundledModel.name, input: text, encoding_format: 'float' });
    assert.deepEqual(alone.data[0].embedding, batch.data[i].embedding, `input ${i}`);
  }
  assert.ok(cosine(batch.data[0].embedding, batch.data[1].embedding) < 0.999999);
});
