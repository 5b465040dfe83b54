// The CLI on files other than the bundled model: vocabulary-only GGUFs (tokenizer, no tensors)
// tokenize like llama.cpp's own tests, and `model info` names each file's architecture.
// Reads ../shared/testdata; skipped, saying so, where it is absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { repo, tachyon } from './harness.mjs';

const testdata = path.resolve(repo, '../shared/testdata');
const skip = fs.existsSync(testdata) ? false : `${testdata} is absent`;

// llama.cpp's tokenizer test cases of one vocabulary: [{text, ids}] (ids without BOS).
function vocabCases(vocab) {
  const texts = fs.readFileSync(path.join(testdata, 'tokenizer', `${vocab}.inp`), 'utf8').split('\n__ggml_vocab_test__\n');
  const lines = fs.readFileSync(path.join(testdata, 'tokenizer', `${vocab}.out`), 'utf8').split('\n');
  return texts.slice(0, lines.length).map((text, i) => ({
    text,
    ids: lines[i].trim() === '' ? [] : lines[i].trim().split(/\s+/).map(Number),
  }));
}

for (const vocab of ['ggml-vocab-llama-spm.gguf', 'ggml-vocab-gpt-2.gguf']) {
  test(`tokenize works on the vocabulary-only ${vocab}`, { skip }, () => {
    const file = path.join(testdata, 'tokenizer', vocab);
    const cases = vocabCases(vocab).filter((c) => /^[\x20-\x7e]+$/.test(c.text) && !c.text.startsWith('-')).slice(0, 8);
    assert.ok(cases.length > 0);
    for (const { text, ids } of cases) {
      const out = JSON.parse(tachyon(['tokenize', '--model', file, '--text', text, '--no-bos', '--json']));
      assert.deepEqual(out.ids, ids, `tokens of ${JSON.stringify(text)}`);
    }
  });
}
