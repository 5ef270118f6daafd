import type { BaseItem } from '../behaviors/define.js';
import type { CheckedPart } from '../sources/check-prompts-file.js';
import type { PromptsFilePart } from '../sources/prompts-file.js';
import type { Block, BlockProducer } from './block-producer.js';
import type { BufferPool } from './chunks.js';
import type { RunSettings } from './run-plan.js';
import type { TalliesState } from './tallies.js';
import { serializeError, type SerializedError } from './thread-errors.js';

/*
 * The protocol between the main thread, which hands out blocks and writes their bytes in block order, and
 * a producer of blocks: a worker thread, or the main thread's own producer (same messages, no thread). A
 * producer makes the blocks it is given in the order given, sends each block's chunks (the buffers come
 * back once written) and then the block's tallies.
 */

/** A block's base items, for a source read as a stream (a prompts file): the main thread reads the file
 * once and hands each block its items, instead of every producer reading (and parsing) the whole file. */
export type BlockItems = { index: number; item: BaseItem }[];

export type FromProducer =
  | { type: 'checked-part'; hashes: Float64Array; screened: CheckedPart['screened']; error: SerializedError | undefined }
  | { type: 'chunk'; buffer: ArrayBuffer; segments: number[] }
  | { type: 'block'; index: number; state: TalliesState }
  | { type: 'error'; error: SerializedError };

export type ToProducer =
  /** Build the run (a worker thread does so from the resolved config it was started with). */
  | { type: 'start'; run: RunSettings }
  | { type: 'produce'; block: Block; items: BlockItems | undefined }
  | { type: 'buffer'; buffer: ArrayBuffer };

/** What a worker thread also takes: before `start`, the second half of a large prompts file to check. */
export type ToWorkerThread = ToProducer | { type: 'check-part'; part: PromptsFilePart };

/** Where a producer's messages go: the thread's port, or straight to the main thread's inbox. */
export type PostToMain = (message: FromProducer, transfer?: ArrayBuffer[]) => void;

/**
 * The producing side: queues the blocks it is given and produces them one after another once it has a
 * producer (built on `start`). Errors, its own or the producer's, are posted, never thrown.
 */
export class BlockService {
  private readonly queue: { block: Block; items: BlockItems | undefined }[] = [];
  private producer: BlockProducer | undefined;
  private wake: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly post: PostToMain,
    private readonly pool: BufferPool,
    /** Builds the producer on `start`. */
    private readonly build: (run: RunSettings) => Promise<BlockProducer>,
  ) {}

  /** Handles one message from the main thread. */
  receive(message: ToProducer): void {
    switch (message.type) {
      case 'start':
        this.build(message.run).then(
          (producer) => {
            this.producer = producer;
            this.wake?.();
          },
          (error: unknown) => this.fail(error),
        );
        return;
      case 'produce':
        this.queue.push({ block: message.block, items: message.items });
        this.wake?.();
        return;
      case 'buffer':
        this.pool.release(message.buffer);
        return;
    }
  }

  /** Produces queued blocks until closed. */
  async serve(): Promise<void> {
    try {
      for (;;) {
        while (!this.closed && (this.producer === undefined || this.queue.length === 0)) await new Promise<void>((resolve) => (this.wake = resolve));
        if (this.closed) return;
        const { block, items } = this.queue.shift()!;
        const state = await this.producer!.produce(block, items);
        if (this.closed) return;
        this.post({ type: 'block', index: block.index, state });
      }
    } catch (error) {
      this.fail(error);
    }
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  private fail(error: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.post({ type: 'error', error: serializeError(error) });
  }
}
