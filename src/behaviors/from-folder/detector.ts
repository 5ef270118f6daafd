import type { Detection } from '../define.js';

/**
 * A pattern as people write it for Python or PCRE, as a JavaScript RegExp. JavaScript has no inline flags,
 * so a leading group of them, "(?i)" or "(?is)", becomes the RegExp's flags; anything else must already be
 * JavaScript syntax. Throws an Error whose message says what is wrong with the pattern.
 */
export function compilePattern(pattern: string): RegExp {
  const inline = /^\(\?([a-zA-Z]+)\)/.exec(pattern);
  let flags = '';
  let body = pattern;
  if (inline) {
    for (const flag of inline[1]!) {
      if (!'ims'.includes(flag)) {
        throw new Error(`inline flag "${flag}" in ${inline[0]} has no JavaScript equivalent (only i, m and s do)`);
      }
      if (!flags.includes(flag)) flags += flag;
    }
    body = pattern.slice(inline[0].length);
  }
  // A flag group anywhere else ("a(?i)b", "(?i:b)") cannot be translated: the flags apply to the whole pattern.
  const later = /\(\?[a-zA-Z]+[:)]/.exec(body);
  if (later) throw new Error(`inline flags are only understood at the very start of a pattern, not "${later[0]}" at position ${later.index + (pattern.length - body.length)}`);
  try {
    return new RegExp(body, flags);
  } catch (error) {
    throw new Error((error as Error).message.replace(/^Invalid regular expression: /, ''));
  }
}

/** The behaviour fired when any pattern matches; the reason quotes the pattern and what it matched. */
export function anyOfDetector(patterns: readonly string[]): (answer: string) => Detection {
  const compiled = patterns.map((source) => ({ source, regex: compilePattern(source) }));
  return (answer) => {
    for (const { source, regex } of compiled) {
      const match = regex.exec(answer);
      if (match) return { fires: true, reason: `matches ${source}: ${JSON.stringify(match[0].slice(0, 80))}` };
    }
    return { fires: false, reason: `matches none of ${compiled.length} pattern${compiled.length === 1 ? '' : 's'}` };
  };
}
