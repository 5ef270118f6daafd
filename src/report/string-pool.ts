/**
 * The sample's string table while it is being built: each distinct text is stored once and counted by
 * reference, so the pair sampler can drop pairs (releasing their texts) and always know how many bytes
 * the texts still in use will take in the page, without serialising anything.
 */
export class StringPool {
  private readonly texts: string[] = [];
  private readonly refs: number[] = [];
  private readonly sizes: number[] = [];
  private readonly indexes = new Map<string, number>();
  /** Bytes the referenced texts take as escaped JSON strings, commas included. */
  bytes = 0;

  acquire(text: string): number {
    let index = this.indexes.get(text);
    if (index === undefined) {
      index = this.texts.push(text) - 1;
      this.refs.push(0);
      this.sizes.push(embeddedSize(text) + 1);
      this.indexes.set(text, index);
    }
    if (this.refs[index]!++ === 0) this.bytes += this.sizes[index]!;
    return index;
  }

  release(index: number): void {
    if (--this.refs[index]! > 0) return;
    this.bytes -= this.sizes[index]!;
    // Forget the text so dropped pairs do not hold memory; its slot is never reused, so live indexes stay valid.
    this.indexes.delete(this.texts[index]!);
    this.texts[index] = '';
  }

  text(index: number): string {
    return this.texts[index]!;
  }
}

/** Bytes of `text` as a JSON string inside the page, where every `<` is written as \u003c (see jsonForScript). */
export function embeddedSize(text: string): number {
  let escapedLessThan = 0;
  for (let at = text.indexOf('<'); at >= 0; at = text.indexOf('<', at + 1)) escapedLessThan += 1;
  return Buffer.byteLength(JSON.stringify(text)) + 5 * escapedLessThan;
}
