import type { BaseItem } from '../behaviors/define.js';
import type { Split } from '../schemas/record.js';
import { hash53, normalizePrompt, unitHash } from '../util/hash.js';

/** Distinct prompts are counted exactly up to this many (a Set of 53-bit hashes, ~40 MB at the cap). */
const DISTINCT_CAP = 1_000_000;

/**
 * Assigns each base item to the held-out or training partition and counts what was drawn for the manifest.
 * The partition comes from a hash of what the request is (its partitionKey, else its normalised text) and
 * a fixed salt: never from the run size, seed or shard.
 */
export class BaseCensus {
  drawn = 0;
  readonly partitions = { train: 0, test: 0 };
  private readonly distinct = new Set<number>();
  private exact = true;
  // Built-in banks hand out the same (cached) item object for a repeated prompt: its facts are computed
  // once. Weak, so items nobody holds any more take no memory.
  private readonly facts = new WeakMap<BaseItem, { partition: Split; hash: number }>();

  constructor(
    private readonly holdoutFraction: number,
    private readonly salt: string,
  ) {}

  add(item: BaseItem): Split {
    this.drawn++;
    let facts = this.facts.get(item);
    if (facts === undefined) {
      facts = {
        partition: unitHash(item.partitionKey ?? item.prompt, this.salt) < this.holdoutFraction ? 'test' : 'train',
        hash: hash53(normalizePrompt(item.prompt)),
      };
      this.facts.set(item, facts);
    }
    this.partitions[facts.partition]++;
    if (this.exact) {
      this.distinct.add(facts.hash);
      if (this.distinct.size >= DISTINCT_CAP) this.exact = false;
    }
    return facts.partition;
  }

  summary(source: string) {
    return { drawn: this.drawn, ...this.partitions, distinct: this.distinct.size, distinct_exact: this.exact, source };
  }
}
