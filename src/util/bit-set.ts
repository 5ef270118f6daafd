import { withRoom } from './typed-arrays.js';

/** Small non-negative integers (record positions, slots), a bit each, growing as needed: 1 bit a member
 * where a table of numbers costs 8-16 bytes. */
export class BitSet {
  private bits = new Uint8Array(128);

  /** Adds `member`; whether it was in already. */
  add(member: number): boolean {
    this.bits = withRoom(this.bits, (member >> 3) + 1);
    const mask = 1 << (member & 7);
    const had = (this.bits[member >> 3]! & mask) !== 0;
    this.bits[member >> 3]! |= mask;
    return had;
  }

  /** The members, ascending. */
  members(): number[] {
    const members: number[] = [];
    for (let byte = 0; byte < this.bits.length; byte++) {
      const value = this.bits[byte]!;
      if (value === 0) continue;
      for (let bit = 0; bit < 8; bit++) if ((value & (1 << bit)) !== 0) members.push((byte << 3) + bit);
    }
    return members;
  }

  /** The set as plain bytes for the members below `size` (for another thread; read with `hasBit`). */
  bytes(size: number): Uint8Array {
    const length = (size + 7) >> 3;
    return withRoom(this.bits, length).slice(0, length);
  }
}

/** Whether `member` is in a set sent as `BitSet.bytes`. */
export const hasBit = (bytes: Uint8Array, member: number): boolean => ((bytes[member >> 3] ?? 0) & (1 << (member & 7))) !== 0;
