// POST /v1/embeddings with the npm `openai` client against a server holding the random-weight
// BERT model of ../shared/testdata/arch (next to the llama test model): the vector of prompt p1
// equals llama.cpp's golden within 1e-4 (float and base64 encodings), inputs are independent of
// their batch, usage is counted, metered and rate-limited in tokens, and the 400s (chat on the
// embedding model, dimensions on a model not declared Matryoshka, empty input, too long); with
// --matryoshka, `dimensions` returns the golden vector's first values at unit length.
// Skipped, saying so, when the shared reference data is absent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { repo, startServer, createKey, tempDataDir, tachyon, modelName, testModel } from './harness.mjs';

const archDir = path.resolve(repo, '../shared/testdata/arch');
const bertModel = path.join(archDir, 'models/arch-bert-128-F32.gguf');
const goldenFile = path.join(archDir, 'golden/arch-bert-128-F32.p1.json');
function norm(v) {
  return Math.hypot(...v);
}

const skip = fs.existsSync(bertModel) && fs.existsSync(goldenFile) ? false : `${bertModel} is absent`;
const bert = 'bert-test';

let server;
let client;
let limitedClient;
let dataDir;
let golden;
before(async () => {
  if (skip) return;
  golden = JSON.parse(fs.readFileSync(goldenFile, 'utf8'));
  dataDir = path.join(tempDataDir(), 'data');
  const key = createKey(dataDir, 'embeddings');
  // p1 is 24 tokens: a key with 40 tokens per minute gets one such request, not two.
  const limited = createKey(dataDir, 'limited', ['--tpm', '40']);
  server = await startServer(
    ['--data-dir', dataDir, '--model', `${modelName}=${testModel}`, '--price', `${bert}=1,0`, '--matryoshka', bert],
    {}, { name: bert, path: bertModel });
  client = new OpenAI({ baseURL: `${server.baseURL}/v1`, apiKey: key.secret, maxRetries: 0 });
  limitedClient = new OpenAI({ baseURL: `${server.baseURL}/v1`, apiKey: limited.secret, maxRetries: 0 });
});
after(async () => {
  if (!server) return;
  const { code } = await server.stop();
  assert.equal(code, 0, 'graceful shutdown exits 0');
});

function maxAbsDiff(a, b) {
  assert.equal(a.length, b.length);
  return Math.max(...a.map((x, i) => Math.abs(x - b[i])));
}

function decodeBase64(text) {
  const bytes = Buffer.from(text, 'base64');
  return Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
}

test('the embedding of p1 matches llama.cpp within 1e-4, as floats and as base64', { skip }, async () => {
  const r = await client.embeddings.create({ model: bert, input: golden.prompt, encoding_format: 'float' });
  assert.equal(r.object, 'list');
  assert.equal(r.model, bert);
  assert.equal(r.data.length, 1);
  assert.equal(r.data[0].object, 'embedding');
  assert.equal(r.data[0].index, 0);
  assert.equal(r.data[0].embedding.length, golden.n_embd);
  assert.ok(maxAbsDiff(r.data[0].embedding, golden.embedding) <= 1e-4);
  assert.equal(r.usage.prompt_tokens, golden.n_prompt_tokens);
  assert.equal(r.usage.total_tokens, golden.n_prompt_tokens);

  // Explicit base64: little-endian float32 bytes.
  const b = await client.embeddings.create({ model: bert, input: golden.prompt, encoding_format: 'base64' });
  assert.equal(typeof b.data[0].embedding, 'string');
  assert.deepEqual(decodeBase64(b.data[0].embedding), r.data[0].embedding.map(Math.fround));

  // Without encoding_format the client asks for base64 and decodes it itself.
  const d = await client.embeddings.create({ model: bert, input: golden.prompt });
  assert.ok(maxAbsDiff(d.data[0].embedding, golden.embedding) <= 1e-4);
});

test('dimensions shortens a --matryoshka model\'s vector to its first values at unit length', { skip }, async () => {
  for (const encoding_format of ['float', 'base64']) {
    const r = await client.embeddings.create({ model: bert, input: golden.prompt, dimensions: 32, encoding_format });
    const v = typeof r.data[0].embedding === 'string' ? decodeBase64(r.data[0].embedding) : r.data[0].embedding;
    assert.equal(v.length, 32);
    assert.ok(Math.abs(norm(v) - 1) < 1e-5, `norm ${norm(v)}`);
    const head = golden.embedding.slice(0, 32);
    const expected = head.map((x) => x / norm(head));
    assert.ok(maxAbsDiff(v, expected) < 1e-4, `max |diff| ${maxAbsDiff(v, expected)}`);
  }
  // The model's own size is the full vector, allowed on any model.
  const full = await client.embeddings.create({ model: modelName, input: 'hi', dimensions: 256 });
  assert.equal(full.data[0].embedding.length, 256);
});

test('each input of a batch gets the vector it gets alone; token ids are taken as sent', { skip }, async () => {
  const alone = await client.embeddings.create({ model: bert, input: golden.prompt, encoding_format: 'float' });
  const r = await client.embeddings.create({
    model: bert, input: ['The quick brown fox', golden.prompt, 'jumps.'], encoding_format: 'float',
  });
  assert.deepEqual(r.data.map((e) => e.index), [0, 1, 2]);
  assert.deepEqual(r.data[1].embedding, alone.data[0].embedding);
  const tokens = await client.embeddings.create({
    model: bert, input: [golden.prompt_tokens, [101, 102]], encoding_format: 'float',
  });
  assert.deepEqual(tokens.data[0].embedding, alone.data[0].embedding);
  assert.equal(tokens.usage.prompt_tokens, golden.n_prompt_tokens + 2);
  const norm = Math.hypot(...tokens.data[1].embedding);
  assert.ok(Math.abs(norm - 1) < 1e-5, `unit length, got ${norm}`);
});

test('the usage row holds the input tokens and the price of them', { skip }, async () => {
  const requestId = 'embeddings-usage-1';
  await client.embeddings.create({ model: bert, input: golden.prompt }, { headers: { 'x-request-id': requestId } });
  const report = JSON.parse(tachyon(['usage', '--json', '--request', requestId, '--data-dir', dataDir]));
  assert.equal(report.requests.length, 1);
  const row = report.requests[0];
  assert.equal(row.model, bert);
  assert.equal(row.endpoint, '/v1/embeddings');
  assert.equal(row.status, 200);
  assert.equal(row.prompt_tokens, golden.n_prompt_tokens);
  assert.equal(row.completion_tokens, 0);
  assert.equal(row.input_cost_micros, golden.n_prompt_tokens);  // 1 USD per million tokens
});

test('the key\'s token limit counts embedding tokens', { skip }, async () => {
  await limitedClient.embeddings.create({ model: bert, input: golden.prompt });
  await assert.rejects(limitedClient.embeddings.create({ model: bert, input: golden.prompt }), (e) => {
    assert.equal(e.status, 429);
    return true;
  });
});

test('the models list holds the embedding model', { skip }, async () => {
  const models = await client.models.list();
  assert.deepEqual(models.data.map((m) => m.id).sort(), [bert, modelName].sort());
});

test('400s in the OpenAI error shape', { skip }, async () => {
  const expect400 = async (promise, param, words) => {
    await assert.rejects(promise, (e) => {
      assert.equal(e.status, 400);
      assert.equal(e.error.type, 'invalid_request_error');
      assert.equal(e.param, param);
      assert.match(e.message, words);
      return true;
    });
  };
  await expect400(client.chat.completions.create({ model: bert, messages: [{ role: 'user', content: 'hi' }] }),
    'model', /embedding model/);
  await expect400(client.completions.create({ model: bert, prompt: 'hi' }), 'model', /embedding model/);
  await expect400(client.embeddings.create({ model: modelName, input: 'hi', dimensions: 64 }), 'dimensions',
    /does not support 'dimensions'/);
  await expect400(client.embeddings.create({ model: bert, input: 'hi', dimensions: 129 }), 'dimensions', /more than the 128/);
  await expect400(client.embeddings.create({ model: bert, input: 'hi', dimensions: 0 }), 'dimensions', /positive integer/);
  await expect400(client.embeddings.create({ model: bert, input: '' }), 'input', /empty/);
  await expect400(client.embeddings.create({ model: bert, input: 'word '.repeat(1100) }), 'input', /context length/);
  // With truncate the same input is cut to the context, its final [SEP] kept.
  const cut = await client.embeddings.create({ model: bert, input: 'word '.repeat(1100), truncate: true });
  assert.equal(cut.usage.prompt_tokens, 1024);
  await expect400(client.embeddings.create({ model: bert, input: [[101, 99999]] }), 'input', /vocabulary/);
});
