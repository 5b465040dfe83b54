// Structured output, tool calling and the Responses API through the real npm clients, on the
// bundled model (which knows nothing of JSON): every answer must still parse and validate,
// because grammar-constrained decoding allows no other output.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Perplexity from '@perplexity-ai/perplexity_ai';
import { zodResponseFormat, zodFunction, zodTextFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { startServer, bundledModel } from './harness.mjs';

const model = bundledModel.name;
let server;
let client;
let pplx;
before(async () => {
  server = await startServer(['--max-running', '16'], {}, bundledModel);
  client = new OpenAI({ baseURL: `${server.baseURL}/v1`, apiKey: 'unused', maxRetries: 0 });
  pplx = new Perplexity({ baseURL: server.baseURL, apiKey: 'unused', maxRetries: 0 });
});
after(async () => {
  const { code } = await server.stop();
  assert.equal(code, 0, 'graceful shutdown exits 0');
});

// Runs fn(i) for i in [0, n) with at most `width` in flight; resolves to the results in order.
async function pool(n, width, fn) {
  const out = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await fn(i);
    }
  }));
  return out;
}

const Person = z.object({
  name: z.string().max(40),
  age: z.number().int(),
  role: z.enum(['admin', 'editor', 'viewer']),
  tags: z.array(z.string().max(20)).min(1).max(3),
  address: z.object({ city: z.string().max(30), zip: z.string().regex(/^[0-9]{5}$/) }),
  nickname: z.string().max(20).nullable().optional(),
});
const messages = [{ role: 'user', content: 'Describe one person of the story as JSON.' }];

test('chat.completions.parse with a zod schema: 100 of 100 parse and validate', async () => {
  const results = await pool(100, 8, (i) => client.chat.completions.parse({
    model, messages, seed: i, temperature: 1, response_format: zodResponseFormat(Person, 'person'),
  }));
  for (const r of results) {
    const choice = r.choices[0];
    assert.equal(choice.finish_reason, 'stop', choice.message.content);
    assert.ok(choice.message.parsed, choice.message.content);
    Person.parse(choice.message.parsed);
  }
});

test('streamed parse with a zod schema: 100 of 100 parse and validate', async () => {
  await pool(100, 8, async (i) => {
    const stream = client.chat.completions.stream({
      model, messages, seed: 1000 + i, temperature: 1, response_format: zodResponseFormat(Person, 'person'),
    });
    const final = await stream.finalChatCompletion();
    Person.parse(final.choices[0].message.parsed);
  });
});

test('regex response_format (Perplexity SDK): 100 of 100 match', async () => {
  const patterns = ['[0-9]{4}-[0-9]{2}-[0-9]{2}', '\\(\\d{3}\\) \\d{3}-\\d{4}'];
  await pool(100, 8, async (i) => {
    const pattern = patterns[i % 2];
    const r = await pplx.chat.completions.create({
      model, seed: i, messages: [{ role: 'user', content: 'When was it?' }],
      response_format: { type: 'regex', regex: { regex: pattern } },
    });
    assert.match(r.choices[0].message.content, new RegExp(`^(?:${pattern})$`));
  });
});

test('json_object always returns a JSON object', async () => {
  await pool(20, 8, async (i) => {
    const r = await client.chat.completions.create({
      model, messages, seed: i, max_tokens: 200, response_format: { type: 'json_object' },
    });
    const choice = r.choices[0];
    // Free-form JSON may run to max_tokens; the finish reason then says so.
    if (choice.finish_reason === 'length') return;
    const value = JSON.parse(choice.message.content);
    assert.equal(typeof value, 'object');
    assert.ok(value !== null && !Array.isArray(value));
  });
});

const Weather = z.object({ city: z.string().max(30), unit: z.enum(['celsius', 'fahrenheit']) });
const Time = z.object({ timezone: z.string().max(30), hours: z.number().int() });
const tools = [zodFunction({ name: 'get_weather', parameters: Weather }), zodFunction({ name: 'get_time', parameters: Time })];

test('tool_choice required with two tools: 100 of 100 valid calls', async () => {
  await pool(100, 8, async (i) => {
    const r = await client.chat.completions.create({
      model, seed: i, messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      tools: tools.map(({ type, function: f }) => ({ type, function: { name: f.name, parameters: f.parameters } })),
      tool_choice: 'required',
    });
    const choice = r.choices[0];
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.content, null);
    assert.equal(choice.message.tool_calls.length, 1);
    const call = choice.message.tool_calls[0];
    assert.match(call.id, /^call_/);
    const args = JSON.parse(call.function.arguments);
    (call.function.name === 'get_weather' ? Weather : Time).parse(args);
  });
});

test('a streamed forced call arrives as OpenAI tool_calls deltas', async () => {
  const stream = client.chat.completions.stream({
    model, seed: 7, messages: [{ role: 'user', content: 'Weather?' }], tools,
    tool_choice: { type: 'function', function: { name: 'get_weather' } },
  });
  let argumentDeltas = 0;
  stream.on('tool_calls.function.arguments.delta', () => { argumentDeltas += 1; });
  const final = await stream.finalChatCompletion();
  const call = final.choices[0].message.tool_calls[0];
  assert.equal(call.function.name, 'get_weather');
  Weather.parse(call.function.parsed_arguments);
  assert.ok(argumentDeltas >= 1);
  assert.equal(final.choices[0].finish_reason, 'tool_calls');
});

test('runTools completes a two-step tool conversation', async () => {
  const calls = [];
  const runner = client.chat.completions.runTools({
    model, seed: 3, messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
    tools: [zodFunction({ name: 'get_weather', parameters: Weather, function: (args) => { calls.push(args); return { temperature: 18 }; } })],
    tool_choice: { type: 'function', function: { name: 'get_weather' } },
  });
  await runner.done();
  assert.equal(calls.length, 1);
  Weather.parse(calls[0]);
  const history = runner.messages;
  assert.equal(history.at(-1).role, 'tool');
  assert.equal(history.at(-1).content, '{"temperature":18}');
  // Step two: the tool's answer goes back and the model replies in prose.
  const answer = await client.chat.completions.create({ model, seed: 3, max_tokens: 16, messages: history, tools: runner.params?.tools ?? [zodFunction({ name: 'get_weather', parameters: Weather })], tool_choice: 'none' });
  assert.equal(typeof answer.choices[0].message.content, 'string');
  assert.ok(answer.choices[0].message.content.length > 0);
  assert.equal(answer.choices[0].message.tool_calls, undefined);
});

test('16 concurrent constrained requests equal the same requests one at a time', async () => {
  const body = (i) => ({ model, messages, seed: 500 + i, temperature: 1, response_format: zodResponseFormat(Person, 'person') });
  const one = [];
  for (let i = 0; i < 16; i += 1) one.push((await client.chat.completions.create(body(i))).choices[0].message.content);
  const together = await Promise.all(Array.from({ length: 16 }, (_, i) => client.chat.completions.create(body(i))));
  assert.deepEqual(together.map((r) => r.choices[0].message.content), one);
});

async function post(path, body) {
  const started = Date.now();
  const r = await fetch(`${server.baseURL}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, json: await r.json(), ms: Date.now() - started };
}

test('bad schemas and regexes get a clear 400 within 1 s and the server stays healthy', async () => {
  const chat = (response_format) => ({ model, messages, response_format });
  const strictSchema = (schema) => ({ type: 'json_schema', json_schema: { name: 's', strict: true, schema } });
  const nested = (levels) => {
    let schema = { type: 'string' };
    for (let i = 0; i < levels; i += 1) schema = { type: 'object', properties: { a: schema }, required: ['a'], additionalProperties: false };
    return schema;
  };
  const huge = { type: 'object', properties: {}, additionalProperties: false };
  for (let i = 0; i < 12000; i += 1) huge.properties[`field_${i}`] = { type: 'string', description: 'x'.repeat(64) };
  assert.ok(JSON.stringify(huge).length > 1024 * 1024);
  const cases = [
    ['unsupported keyword', chat(strictSchema({ type: 'object', properties: { a: { type: 'string', contentMediaType: 'text/html' } }, required: ['a'], additionalProperties: false })), /contentMediaType/],
    ['invalid regex', chat({ type: 'regex', regex: { regex: '([0-9]' } }), /regex|pattern|parenthes/i],
    ['1 MB schema', chat(strictSchema(huge)), /large|bytes|size/i],
    ['100 levels', chat(strictSchema(nested(100))), /deep|depth|nest/i],
    // Deeper than any body may nest: refused before the request is read at all.
    ['1000 levels', chat(strictSchema(nested(1000))), /more than 256 levels deep/, null],
  ];
  for (const [name, body, message, param = 'response_format'] of cases) {
    const r = await post('/v1/chat/completions', body);
    assert.equal(r.status, 400, name);
    assert.equal(r.json.error.param, param, name);
    assert.match(r.json.error.message, message, name);
    assert.ok(r.ms < 1000, `${name}: ${r.ms} ms`);
  }
  assert.equal((await fetch(`${server.baseURL}/health`)).status, 200);
  const ok = await client.chat.completions.create({ model, messages, max_tokens: 4 });
  assert.equal(ok.choices.length, 1);
});

test('responses.create: a function tool and a json_schema text format', async () => {
  const called = await client.responses.create({
    model, input: 'What is the weather in Oslo?',
    tools: [{ type: 'function', name: 'get_weather', parameters: zodFunction({ name: 'w', parameters: Weather }).function.parameters, strict: true }],
    tool_choice: 'required',
  });
  assert.equal(called.object, 'response');
  assert.equal(called.status, 'completed');
  const call = called.output.find((item) => item.type === 'function_call');
  assert.equal(call.name, 'get_weather');
  Weather.parse(JSON.parse(call.arguments));
  assert.ok(called.usage.input_tokens > 0);

  const structured = await client.responses.create({
    model, input: [{ role: 'user', content: 'Describe a person.' }], instructions: 'Answer in JSON.',
    text: { format: zodTextFormat(Person, 'person') },
  });
  Person.parse(JSON.parse(structured.output_text));
  const parsed = await client.responses.parse({ model, input: 'Describe a person.', text: { format: zodTextFormat(Person, 'person') } });
  Person.parse(parsed.output_parsed);
});

test('responses streaming yields the typed events in order', async () => {
  const stream = await client.responses.create({ model, input: 'Once upon a time', max_output_tokens: 12, stream: true });
  const types = [];
  let text = '';
  let final;
  for await (const event of stream) {
    types.push(event.type);
    if (event.type === 'response.output_text.delta') text += event.delta;
    if (event.type === 'response.completed' || event.type === 'response.incomplete') final = event.response;
  }
  assert.deepEqual(types.slice(0, 4), ['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
  assert.equal(types.at(-1), 'response.incomplete');
  assert.equal(final.output[0].content[0].text, text);
  assert.equal(final.usage.output_tokens, 12);

  const helper = client.responses.stream({ model, input: 'Weather?', tools: [{ type: 'function', name: 'get_weather', parameters: zodFunction({ name: 'w', parameters: Weather }).function.parameters, strict: true }], tool_choice: 'required' });
  const seen = [];
  helper.on('event', (e) => seen.push(e.type));
  const response = await helper.finalResponse();
  assert.ok(seen.includes('response.function_call_arguments.delta'));
  assert.equal(seen.at(-1), 'response.completed');
  Weather.parse(JSON.parse(response.output.find((i) => i.type === 'function_call').arguments));
});

test('stored responses: previous_response_id continues, retrieve returns it, unknown ids are 404', async () => {
  const first = await client.responses.create({ model, input: 'My name is Elinor.', instructions: 'Be brief.', max_output_tokens: 8 });
  assert.equal(first.store, true);
  const again = await client.responses.retrieve(first.id);
  assert.equal(again.id, first.id);
  assert.equal(again.output_text, first.output_text);
  const second = await client.responses.create({ model, input: 'What is my name?', previous_response_id: first.id, max_output_tokens: 8 });
  assert.equal(second.previous_response_id, first.id);
  // The earlier turn is in the prompt: more input tokens than the new question alone.
  const alone = await client.responses.create({ model, input: 'What is my name?', max_output_tokens: 8, store: false });
  assert.equal(alone.store, false);
  assert.ok(second.usage.input_tokens > alone.usage.input_tokens + 5, `${second.usage.input_tokens} vs ${alone.usage.input_tokens}`);
  await assert.rejects(client.responses.retrieve(alone.id), (e) => e.status === 404);
  const r = await post('/v1/responses', { model, input: 'hi', previous_response_id: 'resp_missing' });
  assert.equal(r.status, 404);
  assert.equal(r.json.error.param, 'previous_response_id');
});
