// The npm Perplexity SDK against tachyon's /chat/completions, with and without streaming.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Perplexity from '@perplexity-ai/perplexity_ai';
import { startServer, modelName } from './harness.mjs';

let server;
let client;
before(async () => {
  server = await startServer();
  client = new Perplexity({ baseURL: server.baseURL, apiKey: 'unused', maxRetries: 0 });
});
after(async () => server.stop());

const messages = [{ role: 'user', content: 'What is the capital of France?' }];

test('chat.completions.create without stream', async () => {
  const r = await client.chat.completions.create({ model: modelName, messages, max_tokens: 10 });
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.ok(r.usage.completion_tokens > 0);
});

test('chat.completions.create with stream', async () => {
  const stream = await client.chat.completions.create({ model: modelName, messages, max_tokens: 10, stream: true });
  let n = 0;
  let finish = null;
  for await (const chunk of stream) {
    n += 1;
    if (chunk.choices?.[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
  }
  assert.ok(n >= 2);
  assert.ok(['stop', 'length'].includes(finish));
});
