// The npm `openai` client (v6) against a running tachyon: non-streaming, streaming with usage,
// n=2, stop, seed reproducibility and logprobs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startServer, modelName } from './harness.mjs';

let server;
let client;
before(async () => {
  server = await startServer();
  client = new OpenAI({ baseURL: `${server.baseURL}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(async () => {
  const { code } = await server.stop();
  assert.equal(code, 0, 'graceful shutdown exits 0');
});

const messages = [
  { role: 'system', content: 'You are a helpful assistant.' },
  { role: 'user', content: 'Once upon a time, in a quiet village by the sea,' },
];

test('lists the served model', async () => {
  const models = await client.models.list();
  assert.deepEqual(models.data.map((m) => m.id), [modelName]);
  const one = await client.models.retrieve(modelName);
  assert.equal(one.object, 'model');
});

test('non-streaming chat completion has the OpenAI shape', async () => {
  const r = await client.chat.completions.create({ model: modelName, messages, max_tokens: 12, temperature: 0 });
  assert.match(r.id, /^chatcmpl-/);
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.model, modelName);
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.equal(typeof r.choices[0].message.content, 'string');
  assert.ok(['stop', 'length'].includes(r.choices[0].finish_reason));
  assert.ok(r.usage.prompt_tokens > 10);
  assert.ok(r.usage.completion_tokens > 0 && r.usage.completion_tokens <= 12);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  assert.equal(typeof r.usage.prompt_tokens_details.cached_tokens, 'number');
  const raw = await client.chat.completions.create({ model: modelName, messages, max_tokens: 1 }).withResponse();
  assert.ok(raw.response.headers.get('x-request-id'));
});

test('streaming with include_usage: role first, finish_reason last, one usage chunk', async () => {
  const stream = await client.chat.completions.create({
    model: modelName, messages, max_tokens: 16, temperature: 0, stream: true, stream_options: { include_usage: true },
  });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  assert.ok(chunks.length >= 3);
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  const usageChunks = chunks.filter((c) => c.usage);
  assert.equal(usageChunks.length, 1);
  const last = chunks[chunks.length - 1];
  assert.deepEqual(last.choices, []);
  assert.equal(last.usage.completion_tokens, 16);
  const withChoices = chunks.filter((c) => c.choices.length > 0);
  assert.equal(withChoices[withChoices.length - 1].choices[0].finish_reason, 'length');
  const text = withChoices.map((c) => c.choices[0].delta.content ?? '').join('');
  const whole = await client.chat.completions.create({ model: modelName, messages, max_tokens: 16, temperature: 0 });
  assert.equal(text, whole.choices[0].message.content, 'streamed text equals the non-streamed text');
});

test('n=2 returns two choices', async () => {
  const r = await client.chat.completions.create({ model: modelName, messages, max_tokens: 8, n: 2, seed: 3 });
  assert.deepEqual(r.choices.map((c) => c.index), [0, 1]);
});

test('the same seed gives the same sampled text', async () => {
  const req = { model: modelName, messages, max_tokens: 24, temperature: 1.0, top_p: 0.95, seed: 1234 };
  const a = await client.chat.completions.create(req);
  const b = await client.chat.completions.create(req);
  assert.equal(a.choices[0].message.content, b.choices[0].message.content);
});

test('stop strings end the text before the stop', async () => {
  const base = await client.completions.create({ model: modelName, prompt: 'The quick brown fox', max_tokens: 24, temperature: 0 });
  const text = base.choices[0].text;
  assert.ok(text.length > 4);
  const stop = text.slice(2, 4);
  const r = await client.completions.create({ model: modelName, prompt: 'The quick brown fox', max_tokens: 24, temperature: 0, stop: [stop] });
  assert.equal(r.choices[0].finish_reason, 'stop');
  assert.equal(r.choices[0].text, text.slice(0, text.indexOf(stop)));
});

test('logprobs: chosen token and top alternatives', async () => {
  const r = await client.chat.completions.create({ model: modelName, messages, max_tokens: 5, temperature: 0, logprobs: true, top_logprobs: 3 });
  const content = r.choices[0].logprobs.content;
  assert.equal(content.length, r.usage.completion_tokens);
  for (const t of content) {
    assert.ok(t.logprob <= 0);
    assert.equal(t.top_logprobs.length, 3);
    // Greedy: the chosen token is the most likely one.
    assert.ok(Math.abs(t.top_logprobs[0].logprob - t.logprob) < 1e-6);
  }
});
