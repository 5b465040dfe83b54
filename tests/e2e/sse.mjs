// Server-sent events as the tests read them: a body split into events, and the check that a
// completion stream ran to its end. Streams are judged on parsed events, never by searching the
// raw body: generated text can be any string, the word "error" in quotes included.
import assert from 'node:assert/strict';

// The data of each event of an SSE body, in order (an event's data: lines joined by newlines).
export function sseData(text) {
  return text.split(/\r?\n\r?\n/)
    .map((event) => event.split(/\r?\n/).filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5)))
    .filter((lines) => lines.length > 0)
    .map((lines) => lines.join('\n'));
}

// A completion stream that finished normally: 200, JSON chunks none of which is an error event,
// a finish_reason, then [DONE]. An error event is reported with its message.
export function assertCompletedStream(response) {
  assert.equal(response.status, 200, response.text);
  const data = sseData(response.text);
  const last = data.at(-1);
  const chunks = (last === '[DONE]' ? data.slice(0, -1) : data).map((d) => JSON.parse(d));
  const errors = chunks.filter((chunk) => 'error' in chunk);
  assert.deepEqual(errors, [], `error event: ${JSON.stringify(errors)}`);
  assert.equal(last, '[DONE]', `the stream ends with ${last}`);
  const finished = chunks.filter((chunk) => chunk.choices?.some((c) => c.finish_reason));
  assert.equal(finished.length, 1, 'one chunk carries the finish_reason');
}
