/**
 * The load generator (issue #5) as a library: `runProduce`, `runConsume` and `runE2e` take
 * PerfOptions (only `bootstrap` is required) and resolve to a PerfResult, so `make bench`
 * can drive a broker it started in-process. The `tributary perf` command (cli.ts) is a thin
 * wrapper. It talks to any Kafka-compatible cluster; docs/perf.md has the details.
 *
 * Layering: perf/ builds on client/, protocol/ and format/ only, never on server/ or storage/.
 */
export { runConsume, runE2e, runProduce } from './run.js';
export type { ProgressSnapshot, RunHooks } from './run.js';
export type { ConsumeReport, E2eReport, PerfResult, ProduceReport } from './result.js';
export { PERF_RESULT_SCHEMA_VERSION, formatResult } from './result.js';
export type { LatencySummary } from './histogram.js';
export type { Acks, KeyDistribution, PerfCompression, PerfMode, PerfOptions, PerfOptionsInput } from './options.js';
export { PERF_DEFAULTS, resolveOptions } from './options.js';
export { PERF_USAGE, parsePerfArgs, perfMain } from './cli.js';
