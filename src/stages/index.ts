import { Registry } from '../util/registry.js';
import adversarial from './adversarial.js';
import backdoor from './backdoor.js';
import type { StageDefinition } from './define.js';
import preference from './preference.js';
import rl from './rl.js';
import sft from './sft.js';
import test from './test.js';
import evaluation from './eval.js';

/** Every stage, in the order files are listed. A new stage is one file here plus one line. */
export const stages = new Registry<StageDefinition>('stage', [backdoor, sft, rl, adversarial, preference, test, evaluation]);

/** The stages a run writes when the config names none: every stage but the optional ones (eval). */
export const defaultStageNames = (): string[] => stages.all().filter((stage) => !stage.optional).map((stage) => stage.name);
