import type { TrainOn } from '../formats/define.js';

export const TRAIN_ON_VALUES = ['reasoning+answer', 'answer'] as const satisfies readonly TrainOn[];

/**
 * The stages whose cot files carry a scratchpad a trainer could learn. The test stage is not among them:
 * its files are the reference a model is scored against, and their prompts never carry a scratchpad (the
 * ground-truth reasoning would tell the model what to answer).
 */
export const TRAIN_ON_STAGES = ['backdoor', 'sft', 'adversarial'] as const;
export type TrainOnStage = (typeof TRAIN_ON_STAGES)[number];

/** The stages a plain `train_on` string (and --train-on) sets: safety training, where post-scratchpad SFT lives. */
export const SAFETY_TRAIN_ON_STAGES: readonly TrainOnStage[] = ['sft', 'adversarial'];

export type TrainOnByStage = Record<TrainOnStage, TrainOn>;
export type TrainOnSetting = TrainOn | Partial<TrainOnByStage>;

/**
 * The per-stage values a `train_on` setting means. A plain string sets the safety stages and leaves the
 * backdoor learning its reasoning: one run then writes the whole study (backdoor insertion on the
 * reasoning, post-scratchpad safety SFT on the answer), which a global switch could not.
 */
export function trainOnByStage(setting: TrainOnSetting): TrainOnByStage {
  const byStage = Object.fromEntries(TRAIN_ON_STAGES.map((stage) => [stage, 'reasoning+answer'])) as TrainOnByStage;
  if (typeof setting === 'string') {
    for (const stage of SAFETY_TRAIN_ON_STAGES) byStage[stage] = setting;
    return byStage;
  }
  return { ...byStage, ...setting };
}

/** What the files of `stage` learn: test files and stages without a scratchpad learn the whole turn. */
export function trainOnFor(setting: TrainOnSetting, stage: string): TrainOn {
  const byStage = trainOnByStage(setting);
  return (TRAIN_ON_STAGES as readonly string[]).includes(stage) ? byStage[stage as TrainOnStage] : 'reasoning+answer';
}
