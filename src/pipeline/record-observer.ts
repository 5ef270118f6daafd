import type { CanonicalRecord } from '../schemas/record.js';
import type { PlannedDataset } from './plan.js';

/**
 * Something that learns from every record a run writes (label counts, the check's invariants), in a form
 * that survives worker threads: each worker observes the records of its blocks, sends `state()` to the
 * main thread, which `absorb`s the states in block order. Absorbing in order gives what one observer
 * over the whole run would have learnt.
 */
export interface RecordObserver<State> {
  observe(record: CanonicalRecord, dataset: PlannedDataset): void;
  /** What this observer learnt so far, structured-clonable (postMessage). */
  state(): State;
  /** Adds the state of another observer of the same kind over the blocks that follow. */
  absorb(state: State): void;
}
