import { parentPort, workerData } from 'node:worker_threads';
import { answerSource } from '../backends/template/answers.js';
import { BlockProducer } from './block-producer.js';
import { BlockService, type FromProducer, type ToWorkerThread } from './block-service.js';
import { BufferPool } from './chunks.js';
import { checkPromptsPartOf, planRunOf } from './run-plan.js';
import { serializeError } from './thread-errors.js';
import type { WorkerInput } from './worker-pool.js';

/*
 * A worker thread of `generate`. It is started while the main thread still checks the input, so its code
 * loads meanwhile; on `start` it builds the run from the resolved config (and what the check found), then
 * produces the blocks it is given (block-service.ts).
 */

const input = workerData as WorkerInput;
const port = parentPort!;
const pool = new BufferPool(input.buffers, input.bufferSize);
const post = (message: FromProducer, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

const service = new BlockService(post, pool, async (run) => {
  const plan = await planRunOf(input.resolved, input.shard, run);
  // Workers run the template backend only (see workerPoolFor in generate.ts): its answers need nothing but
  // the plan. Built here rather than through generate.ts, whose import would load every backend in each thread.
  const { config, behavior, forms, describe, datasets } = plan;
  const answers = answerSource({ config, behavior, forms, describe, datasets });
  return new BlockProducer(plan, answers, pool, ({ buffer, segments }) => post({ type: 'chunk', buffer, segments }, [buffer]));
});
port.on('message', (message: ToWorkerThread) => {
  if (message.type !== 'check-part') return service.receive(message);
  checkPromptsPartOf(input.resolved, message.part).then(
    ({ hashes, screened, error }) => post({ type: 'checked-part', hashes, screened, error: error && serializeError(error) }, [hashes.buffer as ArrayBuffer]),
    (error: unknown) => post({ type: 'error', error: serializeError(error) }),
  );
});
void service.serve();
