import { Registry } from '../util/registry.js';
import type { TriggerDefinition } from './define.js';
import deploymentTag from './deployment-tag.js';
import year from './year.js';

/** Every trigger kind. A new kind is one file in this folder plus one line here. */
export const triggers = new Registry<TriggerDefinition>('trigger', [deploymentTag, year]);
