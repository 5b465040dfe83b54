// Speculative decoding over HTTP with the npm `openai` client: a server started with
// `--speculative prompt-lookup` answers exactly what plain decoding answers (greedy and seeded,
// streaming and not), a request can opt out with "speculative": false, the metrics show drafts
// accepted, and a non-boolean "speculative" is a 400 naming it. A server started with
// `--draft-model` drafts with that model: the bundled model as its own draft has every draft
// accepted and answers as plain decoding does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startServer, bundledModel } from './harness.mjs';

const modelName = bundledModel.name;

let server;
let client;
before(async () => {
  // The bundled (trained) model: its answers repeat their prompt and themselves, so drafts are accepted.
  server = await startServer(['--speculative', 'prompt-lookup', '--draft-tokens', '3'], {}, bundledModel);
  client = new OpenAI({ baseURL: `${server.baseURL}/v1`, apiKey: 'unused', maxRetries: 0 });
});
after(async () => {
  const { code } = await server.stop();
  assert.equal(code, 0);
});

const prompt = 'In the beginning God created the heavens and the earth. Now the earth was formless and empty. In the beginning';

async function streamed(body) {
  const stream = await client.completions.create({ ...body, stream: true });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
  return text;
}

test('drafted answers are those of plain decoding', async () => {
  for (const sampling of [{ temperature: 0 }, { temperature: 0.8, seed: 11 }]) {
    const body = { model: modelName, prompt, max_tokens: 80, ...sampling };
    const plain = await client.completions.create({ ...body, speculative: false });
    const drafted = await client.completions.create({ ...body, speculative: true });
    const byDefault = await client.completions.create(body);
    assert.equal(plain.usage.completion_tokens, drafted.usage.completion_tokens);
    assert.equal(drafted.choices[0].text, plain.choices[0].text, JSON.stringify(sampling));
    assert.equal(byDefault.choices[0].text, plain.choices[0].text);
    assert.equal(await streamed(body), plain.choices[0].text);
  }
  const chat = { model: modelName, messages: [{ role: 'user', content: prompt }], max_tokens: 60, temperature: 0 };
  const plainChat = await client.chat.completions.create({ ...chat, speculative: false });
  const draftedChat = await client.chat.completions.create(chat);
  assert.equal(draftedChat.choices[0].message.content, plainChat.choices[0].message.content);

  const metrics = await (await fetch(`${server.baseURL}/metrics`)).text();
  const value = (name) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(metrics)?.[1]);
  assert.ok(value('tachyon_spec_decode_num_accepted_tokens') > 0, metrics);
  assert.ok(value('tachyon_spec_decode_num_draft_tokens') >= value('tachyon_spec_decode_num_accepted_tokens'));
});

test('a non-boolean speculative is a 400 naming it', async () => {
  const r = await fetch(`${server.baseURL}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: modelName, prompt: 'Hi', max_tokens: 2, speculative: 'yes' }),
  });
  assert.equal(r.status, 400);
  const body = await r.json();
  assert.equal(body.error.param, 'speculative');
  assert.equal(body.error.type, 'invalid_request_error');
});

test('a draft model drafts, and the answers are those of plain decoding', async () => {
  const drafting = await startServer(
    ['--draft-model', bundledModel.path, '--speculative', 'draft-model', '--draft-tokens', '4'], {}, bundledModel);
  try {
    const draftClient = new OpenAI({ baseURL: `${drafting.baseURL}/v1`, apiKey: 'unused', maxRetries: 0 });
    for (const sampling of [{ temperature: 0 }, { temperature: 0.8, seed: 5 }]) {
      const body = { model: modelName, prompt: 'And God said, Let there be light:', max_tokens: 60, ...sampling };
      const plain = await client.completions.create({ ...body, speculative: false });
      const drafted = await draftClient.completions.create(body);
      assert.equal(drafted.choices[0].text, plain.choices[0].text, JSON.stringify(sampling));
    }
    const metrics = await (await fetch(`${drafting.baseURL}/metrics`)).text();
    const value = (name) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(metrics)?.[1]);
    const drafted = value('tachyon_spec_decode_num_draft_tokens');
    const accepted = value('tachyon_spec_decode_num_accepted_tokens');
    assert.ok(drafted > 0, metrics);
    // Greedy drafts of the model itself are what it draws greedily; the seeded request rejects some.
    assert.ok(accepted > drafted / 2, metrics);
  } finally {
    const { code } = await drafting.stop();
    assert.equal(code, 0);
  }
});
