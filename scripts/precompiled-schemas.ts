/**
 * The schemas `npm run build` compiles to standalone validator code (scripts/precompile-validators.ts):
 * every schema the package itself ships and compiles on the way to a run's first record. A schema missing
 * here still works, compiled at run time; tests/precompiled-validators.test.ts fails if a preset's run
 * compiles one.
 */
import type { TSchema } from '@sinclair/typebox';
import { FrameSchema, TaskFileSchema, WordListSchema as CodeWordListSchema } from '../src/behaviors/code-vulnerability/tasks.js';
import { BehaviorFileSchema } from '../src/behaviors/from-folder/schema.js';
import { ConfigSchema, configFields, configFieldSchema, layerFields, layerFieldSchema, layerSchema } from '../src/config/schema.js';
import { formats } from '../src/formats/index.js';
import { ManifestSchema } from '../src/schemas/manifest.js';
import { BankFileSchema, WordListSchema } from '../src/templating/bank.js';
import { ComposedTextFileSchema } from '../src/templating/composer.js';
import { HoneypotFileSchema, PersonaFileSchema } from '../src/templating/eval-framings.js';
import { RedTeamFileSchema } from '../src/templating/red-team.js';
import { triggers } from '../src/triggers/index.js';
import type { ValidatorKind } from '../src/util/ajv.js';

export interface PrecompiledSchema {
  kind: ValidatorKind;
  /** For people reading dist/validators/ and test names. */
  name: string;
  schema: TSchema | object;
}

export function precompiledSchemas(): PrecompiledSchema[] {
  const list: PrecompiledSchema[] = [];
  for (const format of formats) list.push({ kind: 'record', name: `format ${format.name}`, schema: format.schema });
  list.push({ kind: 'record', name: 'manifest', schema: ManifestSchema });
  list.push({ kind: 'layer', name: 'config layer', schema: layerSchema() });
  for (const field of layerFields()) list.push({ kind: 'layer', name: `config layer field ${field}`, schema: layerFieldSchema(field)! });
  list.push({ kind: 'input', name: 'config', schema: ConfigSchema });
  for (const field of configFields()) list.push({ kind: 'input', name: `config field ${field}`, schema: configFieldSchema(field)! });
  list.push({ kind: 'input', name: 'prompt bank file', schema: BankFileSchema });
  list.push({ kind: 'input', name: 'word bank', schema: WordListSchema });
  list.push({ kind: 'input', name: 'composed text file', schema: ComposedTextFileSchema });
  list.push({ kind: 'input', name: 'red-team template file', schema: RedTeamFileSchema });
  list.push({ kind: 'input', name: 'behaviour file', schema: BehaviorFileSchema });
  list.push({ kind: 'input', name: 'honeypot template file', schema: HoneypotFileSchema });
  list.push({ kind: 'input', name: 'persona template file', schema: PersonaFileSchema });
  list.push({ kind: 'input', name: 'code task file', schema: TaskFileSchema });
  list.push({ kind: 'input', name: 'code task frame', schema: FrameSchema });
  list.push({ kind: 'input', name: 'code word bank', schema: CodeWordListSchema });
  // A multi trigger's parts validate their options with the trigger's own block, root default left out
  // (src/triggers/multi.ts: Ajv's strict mode refuses a default at the root).
  for (const trigger of triggers.all()) {
    const { default: _root, ...schema } = trigger.options as Record<string, unknown>;
    list.push({ kind: 'input', name: `trigger ${trigger.name} options`, schema });
  }
  return list;
}
