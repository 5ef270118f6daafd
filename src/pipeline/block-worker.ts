import { parentPort, workerData } from 'node:worker_threads';
import { answerSource } from '../backends/template/answers.js';
import { BlockProducer, type Block } from './block-producer.js';
import { BufferPool } from './chunks.js';
import { planRunOf } from './run-plan.js';
import { serializeError } from './thread-errors.js';
import type { FromWorker, ToWorker, WorkerInput } from './worker-pool.js';

/*
 * A worker thread of `generate`: builds the run from the resolved config, then produces its blocks in
 * order, sending each block's chunks (the buffers are transferred, and come back once written) and then
 * the block's tallies. It starts a block only while fewer than `maxAhead` of its blocks wait to be written.
 */

const input = workerData as WorkerInput;
const port = parentPort!;
const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

const pool = new BufferPool(input.buffers, input.bufferSize);
let unwritten = 0;
let wake: (() => void) | undefined;
port.on('message', (message: ToWorker) => {
  if (message.type === 'buffer') pool.release(message.buffer);
  else {
    unwritten--;
    wake?.();
  }
});

async function run(): Promise<void> {
  const plan = await planRunOf(input.resolved, input.shard, input.run);
  // Workers run the template backend only (see workerCount in generate.ts): its answers need nothing but the
  // plan. Built here rather than through generate.ts, whose import would load every backend in each thread.
  const { config, behavior, forms, describe, datasets } = plan;
  const answers = answerSource({ config, behavior, forms, describe, datasets });
  const producer = new BlockProducer(plan, answers, pool, ({ buffer, segments }) => post({ type: 'chunk', buffer, segments }, [buffer]));
  for (const block of input.blocks as Block[]) {
    while (unwritten >= input.maxAhead) await new Promise<void>((resolve) => (wake = resolve));
    unwritten++;
    const state = await producer.produce(block);
    post({ type: 'block', index: block.index, state });
  }
}

run().catch((error: unknown) => post({ type: 'error', error: serializeError(error) }));
