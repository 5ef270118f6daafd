import { bindBehavior, type BoundBehavior } from '../behaviors/bound.js';
import { behaviors } from '../behaviors/index.js';
import type { Config } from '../config/schema.js';
import { bindTrigger, type BoundTrigger } from '../triggers/bound.js';
import { triggers } from '../triggers/index.js';

/** The run's behaviour and trigger, resolved from the registries and bound to their options blocks once:
 * the rest of the run holds these and never handles an options object. */
export function boundEntries(config: Config): { behavior: BoundBehavior; trigger: BoundTrigger } {
  const kind = config.trigger.kind!;
  return {
    behavior: bindBehavior(behaviors.get(config.behavior), optionsBlock(config.behavior_options, config.behavior)),
    trigger: bindTrigger(triggers.get(kind), optionsBlock(config.trigger_options, kind)),
  };
}

function optionsBlock(blocks: Config['behavior_options'] | Config['trigger_options'], name: string): unknown {
  return (blocks as Record<string, unknown>)[name] ?? {};
}
