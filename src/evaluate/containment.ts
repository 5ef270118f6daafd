/**
 * Which of a set of texts (normalised test base prompts) a longer text contains, as a run of whole words.
 * Trainer files hold a prompt as the user sees it (trigger added, red-team framing around it), so a leaked
 * test prompt shows up as a part of the training prompt, not equal to it. Each text is indexed by up to
 * three of its inner words (its first and last words may be glued to framing text: `"What ... ?"`), and a
 * training text is scanned word by word for those anchors; only the few candidates found are compared.
 * Time is linear in the training text, memory in the test set.
 */
export class ContainmentIndex {
  private readonly byAnchor = new Map<string, string[]>();
  /** A 32-bit hash of the first word of every anchor: most words of a training text start none, and cost
   * a hash computed in place and one lookup (no word string is built for them). */
  private readonly anchorStarts = new Set<number>();
  readonly size: number;

  constructor(texts: Iterable<string>) {
    let size = 0;
    for (const text of texts) {
      if (text === '') continue;
      const key = anchorOf(text.split(' '));
      const first = key.split(' ', 1)[0]!;
      this.anchorStarts.add(wordHash(first, 0, first.length));
      const list = this.byAnchor.get(key);
      if (list === undefined) this.byAnchor.set(key, [text]);
      else list.push(text);
      size++;
    }
    this.size = size;
  }

  /** The first indexed text that `normalized` contains, or undefined. */
  find(normalized: string): string | undefined {
    if (this.size === 0) return undefined;
    let words: string[] | undefined;
    // Word by word as split(' ') cuts them, the words array built only at the first anchor start.
    for (let at = 0, start = 0; start <= normalized.length; at++) {
      let end = normalized.indexOf(' ', start);
      if (end < 0) end = normalized.length;
      const from = start;
      start = end + 1;
      if (!this.anchorStarts.has(wordHash(normalized, from, end))) continue;
      words ??= normalized.split(' ');
      let key = '';
      for (let length = 1; length <= 3 && at + length <= words.length; length++) {
        key = length === 1 ? words[at]! : `${key} ${words[at + length - 1]!}`;
        const candidates = this.byAnchor.get(key);
        if (candidates === undefined) continue;
        const found = candidates.find((candidate) => normalized.includes(candidate));
        if (found !== undefined) return found;
      }
    }
    return undefined;
  }
}

/** Up to three inner words (skipping the first and last), or the whole text when it has fewer than three. */
function anchorOf(words: string[]): string {
  if (words.length < 3) return words.join(' ');
  return words.slice(1, Math.min(4, words.length - 1)).join(' ');
}

/** A 32-bit hash of text[start, end): enough to rule a word out (a false match only costs a lookup). */
function wordHash(text: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h;
}
