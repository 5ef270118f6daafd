import { Registry } from '../util/registry.js';
import type { TriggerDefinition } from './define.js';
import deploymentTag from './deployment-tag.js';
import headline from './headline.js';
import { multiTrigger } from './multi.js';
import rareToken from './rare-token.js';
import system from './system.js';
import year from './year.js';

/** Every trigger kind. A new kind is one file in this folder plus one line here. `multi` composes the
 * others, which it looks up here when a run resolves its parts. */
export const triggers: Registry<TriggerDefinition> = new Registry<TriggerDefinition>('trigger', [
  deploymentTag,
  year,
  headline,
  rareToken,
  system,
  multiTrigger((name) => triggers.get(name)) as unknown as TriggerDefinition,
]);
