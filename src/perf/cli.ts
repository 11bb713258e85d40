/**
 * `tributary perf produce|consume|e2e [options]`: a thin wrapper over run.ts. Parses flags
 * into PerfOptions (every check lives in options.ts), prints a progress line to stderr once
 * a second (when stderr is a TTY, or with --progress), the report to stdout, and the
 * PerfResult to --json FILE (`-` = stdout instead of the text report).
 *
 * Exit status: 0 done, 1 the run failed, 2 bad arguments.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { isTributaryError } from '../errors.js';
import type { Acks, PerfCompression, PerfMode, PerfOptionsInput } from './options.js';
import { PERF_DEFAULTS, parseKeyDistribution, resolveOptions, usageError } from './options.js';
import { formatResult } from './result.js';
import type { PerfResult } from './result.js';
import type { ProgressSnapshot, RunHooks } from './run.js';
import { runConsume, runE2e, runProduce } from './run.js';

const d = PERF_DEFAULTS;
export const PERF_USAGE = `usage: tributary perf produce|consume|e2e [options]

  produce   write records as fast as possible or at --rate; report throughput and produce latency
  consume   read a topic from --from; report throughput and fetch latency
  e2e       produce and consume at once; also report send -> receipt latency per record

connection
  --bootstrap HOST:PORT         any broker of the cluster (default 127.0.0.1:9092)
  --topic NAME                  (default ${d.topic}); produce/e2e create it if missing
  --partitions N                partitions when creating the topic (default ${d.partitions})
  --client-id ID                (default ${d.clientId})
run length (produce, e2e: default --duration ${10}; consume: default until the end offsets at start)
  --duration S                  measured seconds, after --warmup
  --records N                   records in total, warmup included (whichever of the two ends first)
  --warmup S                    seconds at the start not counted (default 0)
producing (produce, e2e)
  --record-size BYTES           value size (default ${d.recordSizeBytes}; e2e needs >= 8)
  --key-distribution D          none | uniform:N | zipf:N[:S] (S in (0,1), default 0.99) (default none)
  --acks 0|1|-1|all             (default -1)
  --compression C               none | gzip | snappy | lz4 | zstd (default none)
  --batch-size BYTES            uncompressed bytes per batch (default ${d.batchSizeBytes}; k/m suffixes)
  --linger-ms MS                (default ${d.lingerMs})
  --rate N                      records/s over all producers; 0 = as fast as possible (default 0)
  --producers N                 producer clients, each with a connection per leader (default ${d.producers})
  --max-inflight N              pipelined Produce requests per connection (default ${d.maxInflight})
  --produce-timeout-ms MS       (default ${d.produceTimeoutMs})
  --seed N                      key and payload generator seed (default ${d.seed})
consuming (consume, e2e)
  --consumers N                 consumer clients, partitions assigned round robin (default ${d.consumers})
  --from earliest|latest        consume only (default earliest); e2e always starts at the end
  --fetch-max-bytes BYTES       (default 50m)
  --fetch-partition-max-bytes B (default 1m)
  --fetch-max-wait-ms MS        (default ${d.fetchMaxWaitMs})
  --fetch-min-bytes BYTES       (default ${d.fetchMinBytes})
  --drain-timeout-ms MS         e2e: wait for the last records after producing (default ${d.drainTimeoutMs})
output
  --json FILE                   write the result as JSON (- = stdout, replacing the text report)
  --progress / --no-progress    progress line on stderr every second (default: when stderr is a TTY)
  -h, --help
`;

const PRODUCE_ONLY = ['record-size', 'key-distribution', 'acks', 'compression', 'batch-size', 'linger-ms', 'rate', 'producers', 'max-inflight', 'produce-timeout-ms', 'seed', 'partitions'];
const CONSUME_ONLY = ['consumers', 'fetch-max-bytes', 'fetch-partition-max-bytes', 'fetch-max-wait-ms', 'fetch-min-bytes'];

const stringOpts = [
  'bootstrap',
  'topic',
  'partitions',
  'client-id',
  'duration',
  'records',
  'warmup',
  'record-size',
  'key-distribution',
  'acks',
  'compression',
  'batch-size',
  'linger-ms',
  'rate',
  'producers',
  'max-inflight',
  'produce-timeout-ms',
  'seed',
  'consumers',
  'from',
  'fetch-max-bytes',
  'fetch-partition-max-bytes',
  'fetch-max-wait-ms',
  'fetch-min-bytes',
  'drain-timeout-ms',
  'json',
] as const;

export interface ParsedPerfArgs {
  mode: PerfMode | null;
  options: PerfOptionsInput;
  json: string | null;
  /** null: decide by whether stderr is a TTY. */
  progress: boolean | null;
  help: boolean;
}

function number(name: string, v: string): number {
  const n = Number(v.replace(/_/g, ''));
  if (v.trim() === '' || !Number.isFinite(n)) throw usageError(`--${name} must be a number, got '${v}'`, { option: `--${name}` });
  return n;
}

/** A byte count: digits with an optional k/m/g (KiB/MiB/GiB) suffix. */
export function parseBytes(name: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(k|kb|kib|m|mb|mib|g|gb|gib)?$/i.exec(v.trim());
  if (!m) throw usageError(`--${name} must be a byte count like 16384, 16k or 1m, got '${v}'`, { option: `--${name}` });
  const unit = (m[2] ?? '').toLowerCase()[0];
  const mul = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  return Math.round(Number(m[1]) * mul);
}

function acks(v: string): Acks {
  if (v === 'all' || v === '-1') return -1;
  if (v === '0') return 0;
  if (v === '1') return 1;
  throw usageError(`--acks must be 0, 1, -1 or all, got '${v}'`, { option: '--acks' });
}

/** Parses `perf` arguments (after the word `perf`); throws INVALID_ARGUMENT on any mistake. */
export function parsePerfArgs(argv: string[]): ParsedPerfArgs {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = Object.fromEntries(stringOpts.map((n) => [n, { type: 'string' as const }]));
  options.progress = { type: 'boolean' };
  options['no-progress'] = { type: 'boolean' };
  options.help = { type: 'boolean', short: 'h' };
  // `--acks -1` is how Kafka tools spell it, but parseArgs takes "-1" for a flag: glue a
  // negative number to the option before it (`--acks=-1`).
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if (a.startsWith('--') && !a.includes('=') && options[a.slice(2)]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      args.push(`${a}=${next}`);
      i++;
    } else args.push(a);
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw usageError((err as Error).message.replace(/\. To specify a positional argument.*$/, ''));
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const help = v.help === true;
  const [modeArg, ...extra] = parsed.positionals;
  if (modeArg === undefined || modeArg === 'help') {
    if (help || modeArg === 'help') return { mode: null, options: { bootstrap: '' }, json: null, progress: null, help: true };
    throw usageError('missing command: produce, consume or e2e');
  }
  if (modeArg !== 'produce' && modeArg !== 'consume' && modeArg !== 'e2e') throw usageError(`unknown perf command '${modeArg}': expected produce, consume or e2e`);
  if (extra.length > 0) throw usageError(`unexpected argument '${extra[0]}'`);
  const mode: PerfMode = modeArg;
  if (help) return { mode, options: { bootstrap: '' }, json: null, progress: null, help: true };
  const given = (n: string): boolean => v[n] !== undefined;
  const wrong = mode === 'produce' ? CONSUME_ONLY.concat('from', 'drain-timeout-ms') : mode === 'consume' ? PRODUCE_ONLY.concat('drain-timeout-ms') : ['from'];
  for (const n of wrong) if (given(n)) throw usageError(`--${n} does not apply to perf ${mode}`, { option: `--${n}` });
  if (v.progress && v['no-progress']) throw usageError('--progress and --no-progress exclude each other');

  const s = (n: string): string | undefined => v[n] as string | undefined;
  const num = (n: string): number | undefined => (s(n) === undefined ? undefined : number(n, s(n)!));
  const bytes = (n: string): number | undefined => (s(n) === undefined ? undefined : parseBytes(n, s(n)!));
  const o: PerfOptionsInput = {
    bootstrap: s('bootstrap') ?? '127.0.0.1:9092',
    topic: s('topic'),
    partitions: num('partitions'),
    clientId: s('client-id'),
    durationS: num('duration'),
    records: num('records'),
    warmupS: num('warmup'),
    recordSizeBytes: bytes('record-size'),
    keyDistribution: s('key-distribution') === undefined ? undefined : parseKeyDistribution(s('key-distribution')!),
    acks: s('acks') === undefined ? undefined : acks(s('acks')!),
    compression: s('compression') as PerfCompression | undefined,
    batchSizeBytes: bytes('batch-size'),
    lingerMs: num('linger-ms'),
    rate: num('rate'),
    producers: num('producers'),
    maxInflight: num('max-inflight'),
    produceTimeoutMs: num('produce-timeout-ms'),
    seed: num('seed'),
    consumers: num('consumers'),
    from: s('from') as 'earliest' | 'latest' | undefined,
    fetchMaxBytes: bytes('fetch-max-bytes'),
    fetchPartitionMaxBytes: bytes('fetch-partition-max-bytes'),
    fetchMaxWaitMs: num('fetch-max-wait-ms'),
    fetchMinBytes: bytes('fetch-min-bytes'),
    drainTimeoutMs: num('drain-timeout-ms'),
  };
  const json = s('json') ?? null;
  if (json === '') throw usageError('--json needs a file name (or - for stdout)');
  const progress = v.progress === true ? true : v['no-progress'] === true ? false : null;
  return { mode, options: o, json, progress, help: false };
}

const RUNS: Record<PerfMode, (o: PerfOptionsInput, h: RunHooks) => Promise<PerfResult>> = { produce: runProduce, consume: runConsume, e2e: runE2e };

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Renders progress snapshots as one line each, with rates since the previous one. */
export function progressFormatter(): (p: ProgressSnapshot) => string {
  let prev: ProgressSnapshot | null = null;
  return (p) => {
    const dt = prev ? p.elapsedS - prev.elapsedS : p.elapsedS;
    const rate = (now: number, before: number): string => fmtInt(dt > 0 ? (now - before) / dt : 0);
    const parts = [`[${p.elapsedS.toFixed(0).padStart(4)} s ${p.phase}]`];
    if (p.mode !== 'consume') {
      parts.push(`produced ${fmtInt(p.producedRecords)} (${rate(p.producedRecords, prev?.producedRecords ?? 0)} rec/s) inflight ${p.inflight}`);
      if (p.produceP99Ms !== null) parts.push(`p99 ${p.produceP99Ms.toFixed(2)} ms`);
    }
    if (p.mode !== 'produce') parts.push(`| consumed ${fmtInt(p.consumedRecords)} (${rate(p.consumedRecords, prev?.consumedRecords ?? 0)} rec/s)`);
    if (p.e2eP99Ms !== null) parts.push(`| e2e p99 ${p.e2eP99Ms.toFixed(2)} ms`);
    prev = p;
    return parts.join(' ');
  };
}

export interface PerfIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Runs `tributary perf ...`; resolves to the exit status. */
export async function perfMain(argv: string[], io: PerfIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let args: ParsedPerfArgs;
  try {
    args = parsePerfArgs(argv);
    // Every option check happens here, so a mistake exits 2 before anything connects.
    if (args.mode !== null && !args.help) resolveOptions(args.mode, args.options);
  } catch (err) {
    io.stderr.write(`tributary perf: ${(err as Error).message}\n(see tributary perf --help)\n`);
    return 2;
  }
  if (args.help || args.mode === null) {
    io.stdout.write(PERF_USAGE);
    return 0;
  }
  const tty = io.stderr.isTTY === true;
  const showProgress = args.progress ?? tty;
  const ctl = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    if (++interrupts > 1) process.exit(130);
    io.stderr.write('\ntributary perf: stopping (Ctrl-C again to quit at once)\n');
    ctl.abort();
  };
  process.on('SIGINT', onSigint);
  const line = progressFormatter();
  const hooks: RunHooks = {
    signal: ctl.signal,
    onProgress: showProgress ? (p) => io.stderr.write(tty ? `\r\x1b[K${line(p)}` : `${line(p)}\n`) : undefined,
  };
  try {
    const result = await RUNS[args.mode](args.options, hooks);
    if (showProgress && tty) io.stderr.write('\n');
    const json = JSON.stringify(result, null, 2) + '\n';
    if (args.json === '-') io.stdout.write(json);
    else {
      io.stdout.write(formatResult(result));
      if (args.json !== null) fs.writeFileSync(args.json, json);
    }
    return 0;
  } catch (err) {
    if (showProgress && tty) io.stderr.write('\n');
    const code = isTributaryError(err) ? ` [${(err as { code: string }).code}]` : '';
    io.stderr.write(`tributary perf: ${err instanceof Error ? err.message : String(err)}${code}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
