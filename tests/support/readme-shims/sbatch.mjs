// `sbatch` in the README test: runs the job here and now, as Slurm would run it. A script's `#SBATCH`
// lines are read like the command line's options; `--array=A-B[:S]` runs one task per index, all at once,
// with the variables Slurm sets (SLURM_ARRAY_TASK_ID, _MIN, _MAX, _COUNT, _STEP), output to `--output`'s
// pattern; `--wrap CMD` runs CMD with sh; `--dependency=afterok:ID` must name a job that succeeded. A job
// that fails makes sbatch exit 1 with the job's log, so the test stops where a cluster would have.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const state = process.env.README_TEST_STATE;
const jobsFile = join(state, 'slurm-jobs');
const jobs = existsSync(jobsFile) ? readFileSync(jobsFile, 'utf8').split('\n').filter(Boolean) : [];
const id = String(1000 + jobs.length);

const VALUED = new Set(['--array', '--job-name', '--mem', '--time', '--output', '--cpus-per-task', '--dependency', '--wrap']);
const FLAGS = new Set(['--parsable']);

function parse(args, into, where) {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (FLAGS.has(name)) into[name] = true;
    else if (VALUED.has(name)) into[name] = inline ?? args[++i];
    else if (!name.startsWith('-') && where === 'command line') return args.slice(i);
    else fail(`${where}: the stand-in does not know option ${arg}`);
  }
  return [];
}

const options = {};
const [script, ...scriptArgs] = parse(process.argv.slice(2), options, 'command line');
if (script) {
  const text = readFileSync(script, 'utf8');
  if (!text.startsWith('#!')) fail(`${script}: a batch script starts with #! (e.g. #!/bin/bash)`);
  const fromScript = {};
  for (const line of text.split('\n').filter((l) => l.startsWith('#SBATCH '))) parse(line.slice(8).trim().split(/\s+/), fromScript, script);
  for (const [key, value] of Object.entries(fromScript)) options[key] ??= value;
} else if (!options['--wrap']) fail('give a batch script or --wrap CMD');

const dependency = options['--dependency'];
if (dependency) {
  for (const needed of dependency.replace(/^afterok:/, '').split(':')) {
    if (!jobs.includes(`${needed} ok`)) fail(`--dependency=${dependency}: job ${needed} did not succeed`);
  }
}

const tasks = arrayTasks(options['--array']);
const outputPattern = options['--output'] ?? (tasks ? 'slurm-%A_%a.out' : 'slurm-%j.out');
const runs = (tasks ?? [undefined]).map((task) => run(task));
const codes = await Promise.all(runs);
const ok = codes.every((code) => code === 0);
appendFileSync(jobsFile, `${id} ${ok ? 'ok' : 'failed'}\n`);
if (!ok) process.exit(1);
process.stdout.write(options['--parsable'] ? `${id}\n` : `Submitted batch job ${id}\n`);

function arrayTasks(spec) {
  if (spec === undefined) return undefined;
  const match = /^(\d+)-(\d+)(?::(\d+))?$/.exec(spec);
  if (!match) fail(`--array=${spec}: the stand-in runs ranges A-B[:S]`);
  const [min, max, step] = [Number(match[1]), Number(match[2]), Number(match[3] ?? 1)];
  const ids = [];
  for (let t = min; t <= max; t += step) ids.push(t);
  return ids.map((task) => ({ task, min, max, step, count: ids.length }));
}

function run(task) {
  const log = outputPattern.replaceAll('%A', id).replaceAll('%j', id).replaceAll('%a', task ? String(task.task) : '');
  const env = { ...process.env, SLURM_JOB_ID: id };
  if (task) {
    Object.assign(env, {
      SLURM_ARRAY_JOB_ID: id,
      SLURM_ARRAY_TASK_ID: String(task.task),
      SLURM_ARRAY_TASK_MIN: String(task.min),
      SLURM_ARRAY_TASK_MAX: String(task.max),
      SLURM_ARRAY_TASK_STEP: String(task.step),
      SLURM_ARRAY_TASK_COUNT: String(task.count),
    });
  }
  const [command, args] = script ? ['bash', [script, ...scriptArgs]] : ['sh', ['-c', options['--wrap']]];
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => {
      try {
        writeFileSync(log, output);
      } catch (error) {
        process.stderr.write(`sbatch (README test stand-in): cannot write the job's output ${log}: ${error.message}\n`);
        return resolve(1);
      }
      if (code !== 0) process.stderr.write(`sbatch (README test stand-in): job ${id}${task ? ` task ${task.task}` : ''} exited ${code}:\n${output}`);
      resolve(code ?? 1);
    });
  });
}

function fail(message) {
  process.stderr.write(`sbatch (README test stand-in): ${message}\n`);
  process.exit(2);
}
