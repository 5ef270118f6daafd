import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerBehaviorOfRun } from '../behaviors/index.js';
import { bindTrigger } from '../triggers/bound.js';
import { triggers } from '../triggers/index.js';
import type { TriggerPredicate } from '../triggers/define.js';

/** What the invariants need to know of the run, from its config (manifest.json's `config`, or the config a
 * running `generate` resolved). */
export interface RunFacts {
  /** The trigger's predicate: does a text state the trigger? null when the config names no known trigger. */
  predicate: TriggerPredicate | null;
  /** Surfaces training prompts carry by design (the training and untriggered forms). */
  trainingSurfaces: Set<string>;
  /** pools.shared (an ablation): backdoor and safety stages share prompts by design. */
  sharedPools: boolean;
  /** The forms the trigger reserves for test slices (held-out, near-miss): training records are looked
   * at for these before the test records that confirm them have been seen (see RecordChecks). */
  testForms: string[];
}

export function runFactsOf(config: Record<string, unknown>): RunFacts {
  const kind = (config['trigger'] as { kind?: unknown } | undefined)?.kind;
  const options = ((config['trigger_options'] as Record<string, unknown> | undefined)?.[String(kind)] ?? {}) as Record<string, unknown>;
  let predicate: TriggerPredicate | null = null;
  const trainingSurfaces = new Set<string>();
  const testForms = new Set<string>();
  if (typeof kind === 'string' && triggers.has(kind)) {
    // Options as the run resolved them, defaults filled in; a manifest written before a new option existed
    // gets that option's default.
    const trigger = bindTrigger(triggers.get(kind), options);
    predicate = trigger.predicate();
    const forms = trigger.forms();
    for (const form of [...forms.train, ...forms.untriggered]) trainingSurfaces.add(form.surface);
    // A held-out variant may be the training text at another position: that text is not a test form.
    for (const form of [...forms.heldOut, ...forms.nearMiss]) if (!trainingSurfaces.has(form.surface)) testForms.add(form.surface);
  }
  return { predicate, trainingSurfaces, sharedPools: (config['pools'] as { shared?: unknown } | undefined)?.shared === true, testForms: [...testForms] };
}

/** The facts of a generated folder, from its manifest.json (an unreadable manifest gives none: listedFiles
 * reports it). */
export function runFactsOfFolder(dir: string): RunFacts {
  let config: Record<string, unknown> = {};
  try {
    config = ((JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { config?: Record<string, unknown> }).config ?? {}) as Record<string, unknown>;
  } catch {
    // listedFiles has already reported an unreadable manifest.
  }
  // A behaviour from a folder is known by the folder the manifest names, at the hash the run used (in each
  // thread that reads the folder: registries are per thread).
  registerBehaviorOfRun(config, join(dir, 'manifest.json'));
  return runFactsOf(config);
}
