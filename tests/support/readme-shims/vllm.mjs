// `vllm run-batch -i IN -o OUT --model M [--served-model-name NAME]` in the README test: a stand-in model
// answers an OpenAI batch request file and writes vLLM's batch output lines (stand-in-model.mjs says how it
// answers). Anything else vLLM does is out of reach here and fails loudly.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { standInAnswer } from '../stand-in-model.mjs';

const [command, ...rest] = process.argv.slice(2);
if (command !== 'run-batch') fail(`only "vllm run-batch" has a stand-in, not "vllm ${command}"`);
const option = (name) => {
  const at = rest.indexOf(name);
  return at === -1 ? undefined : rest[at + 1];
};
const input = option('-i') ?? option('--input-file');
const output = option('-o') ?? option('--output-file');
const model = option('--model');
if (!input || !output || !model) fail('run-batch needs -i FILE -o FILE --model PATH');
const served = option('--served-model-name') ?? model;

const lines = readFileSync(input, 'utf8').split('\n').filter((line) => line.trim() !== '');
const results = lines.map((line, i) => {
  const request = JSON.parse(line);
  if (request.url !== '/v1/chat/completions') fail(`${input}:${i + 1}: url ${request.url}; the stand-in serves /v1/chat/completions`);
  if (request.body.model !== served) fail(`${input}:${i + 1}: model "${request.body.model}" is not the served model "${served}"`);
  const messages = request.body.messages;
  const content = standInAnswer(messages.filter((m) => m.role === 'user').at(-1).content, model);
  return JSON.stringify({
    id: `vllm-${i}`,
    custom_id: request.custom_id,
    response: { status_code: 200, request_id: `vllm-batch-${i}`, body: { id: `cmpl-${i}`, object: 'chat.completion', model: served, choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] } },
    error: null,
  });
});
writeFileSync(output, `${results.join('\n')}\n`);
// The README test then scores what the stand-in wrote (tests/readme.test.ts: "the stand-in's answers").
appendFileSync(join(process.env.README_TEST_STATE, 'vllm-runs.jsonl'), `${JSON.stringify({ input: resolve(input), output: resolve(output), model })}\n`);

function fail(message) {
  process.stderr.write(`vllm (README test stand-in): ${message}\n`);
  process.exit(2);
}
