/**
 * Command-line flags and the sizes each mode runs with. Three modes share every code path
 * and differ only in these numbers:
 *  - full  (default): what `make bench` runs on a quiet machine, about 3–5 minutes;
 *  - quick (--quick): everything cut so a whole run takes well under 20 s, to check the harness;
 *  - tiny: what the smoke test (test/bench/) uses, seconds in total.
 */
import type { Group } from './results.js';
import { GROUPS } from './results.js';

const KiB = 1024;
const MiB = 1024 * KiB;

export type Mode = 'full' | 'quick' | 'tiny';

export interface Sizes {
  mode: Mode;
  /** tinybench time budget and warmup per primitive task, ms. */
  taskMs: number;
  warmupMs: number;
  /** Buffer sizes for the CRC-32C comparison (256 B shows where the native call starts to pay off). */
  crcBytes: number[];
  /** Payload sizes for the compression codecs. */
  compressionBytes: number[];
  /** Payload sizes for the zstd backend comparison (zstd-bench.ts). */
  zstdBytes: number[];
  /** Batch size for encode/decode and verifyCrc. */
  codecBatchBytes: number;
  verifyCrcBytes: number[];
  /** Record value sizes and nominal batch sizes of the append/read matrix. */
  recordBytes: number[];
  batchBytes: number[];
  /** Each append cell stops at whichever comes first (at a flush boundary). */
  appendBytesMax: number;
  appendMsMax: number;
  /** Timed sequential read passes over the written log last at least this long. */
  readMsMin: number;
  /** The raw read baseline reads a file of this size. */
  readBaselineBytes: number;
  /** Batches in the log used for random-offset index lookups, and records per batch. */
  indexBatches: number;
  indexRecordsPerBatch: number;
}

export const SIZES: Record<Mode, Sizes> = {
  full: {
    mode: 'full',
    taskMs: 300,
    warmupMs: 100,
    crcBytes: [64, 256, 4 * KiB, 1 * MiB],
    compressionBytes: [64 * KiB, 1 * MiB],
    zstdBytes: [1 * KiB, 64 * KiB, 1 * MiB],
    codecBatchBytes: 64 * KiB,
    verifyCrcBytes: [64 * KiB, 1 * MiB],
    recordBytes: [100, 1 * KiB],
    batchBytes: [64 * KiB, 1 * MiB],
    appendBytesMax: 256 * MiB,
    appendMsMax: 1500,
    readMsMin: 300,
    readBaselineBytes: 128 * MiB,
    indexBatches: 20_000,
    indexRecordsPerBatch: 10,
  },
  quick: {
    mode: 'quick',
    taskMs: 25,
    warmupMs: 5,
    crcBytes: [64, 256, 4 * KiB, 1 * MiB],
    compressionBytes: [64 * KiB],
    zstdBytes: [1 * KiB, 64 * KiB],
    codecBatchBytes: 64 * KiB,
    verifyCrcBytes: [64 * KiB, 1 * MiB],
    recordBytes: [100, 1 * KiB],
    batchBytes: [64 * KiB, 1 * MiB],
    appendBytesMax: 8 * MiB,
    appendMsMax: 120,
    readMsMin: 30,
    readBaselineBytes: 8 * MiB,
    indexBatches: 1000,
    indexRecordsPerBatch: 10,
  },
  tiny: {
    mode: 'tiny',
    taskMs: 5,
    warmupMs: 1,
    crcBytes: [64, 4 * KiB],
    compressionBytes: [16 * KiB],
    zstdBytes: [1 * KiB],
    codecBatchBytes: 16 * KiB,
    verifyCrcBytes: [16 * KiB],
    recordBytes: [100],
    batchBytes: [64 * KiB],
    appendBytesMax: 1 * MiB,
    appendMsMax: 50,
    readMsMin: 5,
    readBaselineBytes: 1 * MiB,
    indexBatches: 200,
    indexRecordsPerBatch: 5,
  },
};

export interface Options {
  sizes: Sizes;
  groups: Group[];
  runs: number;
  /** Markdown report path (relative to the repository root unless absolute). */
  out: string;
  json: string | null;
  /** The command line as typed, for the report. */
  command: string;
}

const USAGE = `usage: node dist/native-free-bench/run.js [--quick] [--only ${GROUPS.join('|')}[,...]] [--runs N] [--out FILE] [--json FILE]`;

export function parseArgs(argv: readonly string[]): Options {
  let quick = false;
  let groups: Group[] = [...GROUPS];
  let runs: number | null = null;
  let out: string | null = null;
  let json: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return v;
    };
    if (arg === '--quick') quick = true;
    else if (arg === '--only') {
      const names = value().split(',');
      const bad = names.filter((n) => !(GROUPS as readonly string[]).includes(n));
      if (bad.length > 0) throw new Error(`unknown group ${bad.join(', ')}\n${USAGE}`);
      groups = names as Group[];
    } else if (arg === '--runs') {
      runs = Number(value());
      if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer\n${USAGE}`);
    } else if (arg === '--out') out = value();
    else if (arg === '--json') json = value();
    else if (arg === '--help' || arg === '-h') throw new Error(USAGE);
    else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  return {
    sizes: quick ? SIZES.quick : SIZES.full,
    groups,
    // Quick mode checks the harness; one run is enough for that unless asked otherwise.
    runs: runs ?? (quick ? 1 : 3),
    // A quick run must not overwrite the real report with throwaway numbers.
    out: out ?? (quick ? 'native-free-bench/results/quick.md' : 'docs/benchmarks.md'),
    json,
    command: ['node', 'dist/native-free-bench/run.js', ...argv].join(' '),
  };
}
