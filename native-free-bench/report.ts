/**
 * The markdown report (docs/benchmarks.md) and its JSON twin. Every number shown is the
 * median over the runs with [min–max] beside it, so noise is visible rather than averaged
 * away; rows whose spread exceeds NOISY_SPREAD are listed at the end.
 */
import { PAYLOAD_DESCRIPTION } from './data.js';
import { e2eSections, noiseWorthy } from './e2e-report.js';
import type { EngineBackend } from './engine.js';
import { FLUSH_POLICIES, PIPELINED, PIPELINE_DEPTH } from './flush-policy.js';
import type { MachineInfo } from './machine.js';
import type { Options } from './options.js';
import type { PeerSetup } from './peers.js';
import { CODECS, sizeLabel } from './primitives.js';
import type { Group, Results } from './results.js';
import type { Summary } from './stats.js';
import { summarize } from './stats.js';

/** A spread (max-min)/median above this marks a measurement as noisy. */
export const NOISY_SPREAD = 0.2;
/** Issue #2: appends flushed every ~1 MiB reach this fraction of raw fdatasync'd writes. */
export const APPEND_RATIO_TARGET = 0.7;
/** Issue #2: sequential reads with the mmap backend, MB/s. */
export const MMAP_READ_TARGET_MBPS = 2000;

export interface ReportInput {
  options: Options;
  machine: MachineInfo;
  startedAt: Date;
  durationMs: number;
  crcBackend: string;
  /** The zstd backend the registry chose ('native (libzstd 1.5.4)', 'wasm' or 'none'). */
  zstdBackend?: string;
  backends: EngineBackend[];
  dataDir: string;
  loadAverageEnd: number[];
  results: Results;
  /** The peers found for the end-to-end comparison (null when the peers group did not run). */
  peers?: PeerSetup | null;
}

function num(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function pct(v: number): string {
  return `${Math.round(v * 100)}%`;
}

/** "median [min–max]" (just the median for a single run); "–" when not measured. */
function show(s: Summary | undefined, f: (v: number) => string = num): string {
  if (!s) return '–';
  return s.runs > 1 ? `${f(s.median)} [${f(s.min)}–${f(s.max)}]` : f(s.median);
}

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

function storageSection(r: Results, backends: EngineBackend[]): string[] {
  const out: string[] = [];
  const appendRows: string[][] = [];
  const targetRatios: { backend: string; key: string; ratio: number }[] = [];
  const cells = r.all('storage').filter((m) => m.params.who === 'raw' && m.params.policy !== undefined);
  // The group-commit row follows every-append and is compared with the same raw cell.
  const rowsOf = (raw: (typeof cells)[number]): { policy: string; rawKey: string }[] => {
    const { policy, recordBytes, batchBytes } = raw.params;
    const rawKey = `raw/${policy}/${recordBytes}/${batchBytes}`;
    return policy === 'every-append' ? [{ policy, rawKey }, { policy: PIPELINED, rawKey }] : [{ policy: String(policy), rawKey }];
  };
  for (const { raw, policy, rawKey } of cells.flatMap((raw) => rowsOf(raw).map((x) => ({ raw, ...x })))) {
    const { recordBytes, batchBytes, batchBytesActual, recordsPerBatch } = raw.params;
    const rest = `${policy}/${recordBytes}/${batchBytes}`;
    if (!r.get('storage', `${backends[0]}/${rest}`)) continue;
    const label = policy === PIPELINED ? `every-append, ${PIPELINE_DEPTH} in flight` : policy;
    const row = [`${recordBytes} B`, `${sizeLabel(Number(batchBytes))} (${num(Number(batchBytesActual))} B, ${recordsPerBatch} rec)`, label, show(r.summary('storage', rawKey, 'mbps'))];
    for (const b of backends) {
      row.push(show(r.summary('storage', `${b}/${rest}`, 'mbps')), show(r.summary('storage', `${b}/${rest}`, 'ratio'), pct), show(r.summary('storage', `${b}/${rest}`, 'recordsPerSec')));
      const ratio = r.summary('storage', `${b}/${rest}`, 'ratio');
      if (policy === 'every-1MiB' && ratio) targetRatios.push({ backend: b, key: `${recordBytes} B records, ${sizeLabel(Number(batchBytes))} batches`, ratio: ratio.median });
    }
    appendRows.push(row);
  }
  if (appendRows.length === 0) return out;
  out.push('## Append throughput vs raw sequential writes', '');
  out.push(
    `One producer, one batch in flight (each append awaited). "raw" is \`fs.writeSync\` of the same batch buffers to a file in the same directory with \`fdatasync\` after the same writes (${FLUSH_POLICIES.join(', ')}: after every write / after every ~1 MiB of batches / never), measured in the same run right next to the engine. Ratio = engine MB/s ÷ raw MB/s of the same run (median of the per-run ratios). The "${PIPELINE_DEPTH} in flight" rows keep ${PIPELINE_DEPTH} appends outstanding with flush.messages=1, so concurrent appends share each fdatasync (group commit); they are compared with the raw every-write baseline, which gives the same guarantee (every acknowledged batch is on disk). With 1 MiB batches every-1MiB also syncs after every batch: the raw side is then the same pattern as every-append, and the engine differs only in flush.messages (1 vs one batch's records), i.e. in whether the high watermark waits for the sync.`,
    '',
  );
  const head = ['records', 'batch (actual size, records)', 'flush', 'raw MB/s'];
  for (const b of backends) head.push(`${b} MB/s`, `${b} / raw`, `${b} records/s`);
  out.push(table(head, appendRows), '');
  if (targetRatios.length > 0) {
    const worst = targetRatios.reduce((a, b) => (b.ratio < a.ratio ? b : a));
    const met = targetRatios.every((t) => t.ratio >= APPEND_RATIO_TARGET);
    out.push(
      `**Target (issue #2): flush every ~1 MiB ≥ ${pct(APPEND_RATIO_TARGET)} of raw fdatasync'd writes — ${met ? 'met' : 'NOT met'} in every cell.** Lowest median ratio: ${pct(worst.ratio)} (${worst.backend}, ${worst.key}).`,
      '',
    );
  }

  out.push('## Sequential reads from the page cache', '');
  const raw = r.get('storage', 'read/raw');
  const readSync = r.summary('storage', 'read/raw', 'readSyncMbps');
  const memcpy = r.summary('storage', 'read/raw', 'memcpyMbps');
  if (raw) {
    out.push(
      `The log written by the os-only cell is read from offset 0 to the end with \`read(offset, 1 MiB)\` (one untimed warm-up pass, then timed passes), walking batch headers to the next offset as a consumer would. "read()" is the calls alone: the mmap backend returns slices of the mapping without touching the data, so that column mostly measures per-call overhead. "read()+copy" also copies every returned byte once into a reused 1 MiB buffer (the least that sending it costs) and is the number to compare: the baseline \`fs.readSync\` of a cached file in 1 MiB chunks into one reused buffer (${show(readSync)} MB/s) does exactly one copy too. For reference, \`Buffer.copy\` of 1 MiB chunks in memory: ${show(memcpy)} MB/s. Ratio = read()+copy ÷ readSync.`,
      '',
    );
  }
  const readRows: string[][] = [];
  const shapes = new Set(cells.map((m) => `${m.params.recordBytes}/${m.params.batchBytes}`));
  for (const s of shapes) {
    const [rec, batch] = s.split('/');
    const row = [`${rec} B`, sizeLabel(Number(batch))];
    for (const b of backends) row.push(show(r.summary('storage', `read/${b}/${s}`, 'mbps')), show(r.summary('storage', `read/${b}/${s}`, 'copyMbps')), show(r.summary('storage', `read/${b}/${s}`, 'ratio'), pct));
    readRows.push(row);
  }
  const readHead = ['records', 'batch'];
  for (const b of backends) readHead.push(`${b} read() MB/s`, `${b} read()+copy MB/s`, `${b} +copy / readSync`);
  out.push(table(readHead, readRows), '');
  if (backends.includes('mmap')) {
    const mmapReads = [...shapes].map((s) => r.summary('storage', `read/mmap/${s}`, 'copyMbps')?.median ?? 0);
    const low = Math.min(...mmapReads);
    out.push(`**Target (issue #2): mmap sequential reads ≥ ${num(MMAP_READ_TARGET_MBPS)} MB/s — ${low >= MMAP_READ_TARGET_MBPS ? 'met' : 'NOT met'}**, judged on read()+copy (lowest median ${num(low)} MB/s).`, '');
  }
  return out;
}

function crcSection(r: Results, crcBackend: string): string[] {
  const rows = r
    .all('crc')
    .filter((m) => m.params.impl === 'js')
    .map((js) => {
      const bytes = Number(js.params.bytes);
      return [
        sizeLabel(bytes),
        show(r.summary('crc', `js/${bytes}`, 'mbps')),
        show(r.summary('crc', `sse4/${bytes}`, 'mbps')),
        show(r.summary('crc', `native/${bytes}`, 'mbps')),
        show(r.summary('crc', `native/${bytes}`, 'ratio'), (v) => `${num(v)}×`),
      ];
    });
  if (rows.length === 0) return [];
  return [
    '## CRC-32C',
    '',
    `\`crc32c\` in this process uses the **${crcBackend}** implementation (below 64 B it always takes the JS path). Native = the backend \`crc32c\` uses: Tributary's native/crc32c (the CPU's CRC32 instruction on three interleaved streams) when it was built, else sse4_crc32; sse4_crc32 = that addon by itself (the same instruction on one stream); JS = slicing-by-8.`,
    '',
    table(['buffer', 'JS MB/s', 'sse4_crc32 MB/s', 'native MB/s', 'native / JS'], rows),
    '',
  ];
}

function compressionSection(r: Results, zstdBackend: string): string[] {
  const rows: string[][] = [];
  for (const m of r.all('compression')) {
    const key = m.key;
    rows.push([String(m.params.codec), sizeLabel(Number(m.params.bytes)), show(r.summary('compression', key, 'ratio'), pct), show(r.summary('compression', key, 'compressMbps')), show(r.summary('compression', key, 'decompressMbps'))]);
  }
  if (rows.length === 0) return [];
  const missing = CODECS.filter((c) => !r.all('compression').some((m) => m.params.codec === c.name)).map((c) => c.name);
  return [
    '## Compression codecs',
    '',
    `Input: the log text described above (not random bytes, not zeros). Compress MB/s counts input bytes, decompress MB/s counts output bytes. Each codec as the registry runs it (\`compress\`/\`decompress\`); zstd at level 3 on the ${zstdBackend} backend.${missing.length > 0 ? ` Not available here: ${missing.join(', ')}.` : ''}`,
    '',
    table(['codec', 'input', 'compressed / input', 'compress MB/s', 'decompress MB/s'], rows),
    '',
  ];
}

function zstdSection(r: Results): string[] {
  const list = r.all('zstd');
  if (list.length === 0) return [];
  const rows = list.map((m) => [String(m.params.backend), String(m.params.level), sizeLabel(Number(m.params.bytes)), show(r.summary('zstd', m.key, 'ratio'), pct), show(r.summary('zstd', m.key, 'compressMbps')), show(r.summary('zstd', m.key, 'decompressMbps'))]);
  return [
    '## zstd backends',
    '',
    'The two zstd backends side by side (docs/adr/0004-zstd-native-addon-wasm-fallback.md): native = native/zstd, the Node-API addon over the system libzstd; wasm = @bokuweb/zstd-wasm, libzstd compiled to WebAssembly. Input: the log text above; 1 KiB is one 1 KiB record. Compress MB/s counts input bytes; decompress MB/s counts output bytes, decoding frames without a content size, as Kafka clients write them.',
    '',
    table(['backend', 'level', 'input', 'compressed / input', 'compress MB/s', 'decompress MB/s'], rows),
    '',
  ];
}

function batchSection(r: Results): string[] {
  const rows: string[][] = [];
  for (const m of r.all('batch')) {
    const p = m.params;
    const records = p.recordBytes !== undefined ? `${p.recordBytes} B` : '1 KiB';
    rows.push([String(p.op), records, sizeLabel(Number(p.batchBytes)), show(r.summary('batch', m.key, 'mbps')), show(r.summary('batch', m.key, 'recordsPerSec') ?? r.summary('batch', m.key, 'opsPerSec'))]);
  }
  if (rows.length === 0) return [];
  return [
    '## Record batches',
    '',
    'Uncompressed batches. encode = `encodeBatch` from record objects (includes the CRC); decode = `decodeBatch` (validate, verify CRC, decode every record); verifyCrc = `DeflatedBatch.verifyCrc`. The last column is records/s for encode/decode and calls/s for verifyCrc.',
    '',
    table(['operation', 'records', 'batch', 'MB/s', 'records/s (calls/s)'], rows),
    '',
  ];
}

function indexSection(r: Results): string[] {
  const rows = r.all('index').map((m) => [String(m.params.backend), `${num(Number(m.params.batches))} batches × ${m.params.recordsPerBatch} records`, show(r.summary('index', m.key, 'lookupsPerSec')), show(r.summary('index', m.key, 'microsPerLookup'))]);
  if (rows.length === 0) return [];
  return [
    '## Offset lookups',
    '',
    '`read(topic, 0, randomOffset, 1)` (at most one batch) on a one-segment log with the default index.interval.bytes (4 KiB): segment search, offset-index search, then a scan of batch headers to the batch holding the offset.',
    '',
    table(['backend', 'log', 'lookups/s', 'µs per lookup'], rows),
    '',
  ];
}

function noiseSection(r: Results, runs: number): string[] {
  const noisy: string[] = [];
  for (const m of r.all()) {
    for (const [metric, values] of Object.entries(m.values)) {
      if (!noiseWorthy(m.group, metric)) continue;
      const s = summarize(values);
      if (s.runs > 1 && s.spread > NOISY_SPREAD) noisy.push(`${m.group}/${m.key} ${metric}: ${pct(s.spread)}`);
    }
  }
  const out = ['## Noise', ''];
  if (runs < 2) out.push('One run only: no spread to report; treat every number as a single sample.');
  else if (noisy.length === 0) out.push(`Every measurement's min–max spread is within ${pct(NOISY_SPREAD)} of its median.`);
  else out.push(`Measurements whose min–max spread exceeds ${pct(NOISY_SPREAD)} of the median (distrust these):`, '', ...noisy.map((n) => `- ${n}`));
  return [...out, ''];
}

export function renderMarkdown(input: ReportInput): string {
  const { options, machine: m, results } = input;
  const gib = (b: number): string => `${(b / 2 ** 30).toFixed(1)} GiB`;
  const load = (l: number[]): string => l.map((v) => v.toFixed(2)).join(' / ');
  const lines = [
    '# Tributary benchmarks',
    '',
    `Written by \`native-free-bench\` (do not edit by hand; re-run it). Every number is the **median of ${options.runs} run${options.runs > 1 ? 's' : ''}**${options.runs > 1 ? ' with [min–max] beside it' : ''}. MB/s = 10^6 bytes per second.`,
    '',
    ...(options.sizes.mode !== 'full' ? [`> **${options.sizes.mode} mode**: sizes and times are cut to check the harness; these numbers are not representative.`, ''] : []),
    `- Date: ${input.startedAt.toISOString()} (took ${(input.durationMs / 1000).toFixed(0)} s)`,
    `- Command: \`${options.command}\``,
    `- Groups: ${options.groups.join(', ')}`,
    `- CRC-32C backend: ${input.crcBackend}`,
    `- zstd backend: ${input.zstdBackend ?? 'not recorded'}`,
    `- Storage backends measured: ${input.backends.join(', ')}`,
    `- Payload: ${PAYLOAD_DESCRIPTION}`,
    '',
    '## Machine',
    '',
    table(
      ['CPU', 'logical cores', 'memory', 'Node.js', 'kernel', 'data directory filesystem', 'load average (1/5/15 min) at start → end'],
      [[m.cpuModel, String(m.cores), gib(m.memoryBytes), m.node, `${m.platform} ${m.kernel}`, m.filesystem, `${load(m.loadAverage)} → ${load(input.loadAverageEnd)}`]],
    ),
    '',
    ...(/tmpfs|ramfs/.test(m.filesystem) ? ['> **The data directory is on a memory filesystem: fdatasync costs nothing there and the append numbers say nothing about a disk.**', ''] : []),
    ...(m.loadAverage[0]! > m.cores * 0.5 ? [`> The 1-minute load average at the start (${m.loadAverage[0]!.toFixed(2)}) was high for ${m.cores} cores: other work was running and the numbers are pessimistic.`, ''] : []),
    ...storageSection(results, input.backends),
    ...crcSection(results, input.crcBackend),
    ...compressionSection(results, input.zstdBackend ?? 'chosen'),
    ...zstdSection(results),
    ...batchSection(results),
    ...indexSection(results),
    ...e2eSections(input),
    ...noiseSection(results, options.runs),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}

export function renderJson(input: ReportInput): string {
  const measurements = input.results.all().map((m) => ({
    ...m,
    summary: Object.fromEntries(Object.entries(m.values).map(([k, v]) => [k, summarize(v)])),
  }));
  const groups: Group[] = input.options.groups;
  return `${JSON.stringify(
    {
      date: input.startedAt.toISOString(),
      durationMs: input.durationMs,
      command: input.options.command,
      mode: input.options.sizes.mode,
      runs: input.options.runs,
      groups,
      sizes: input.options.sizes,
      crcBackend: input.crcBackend,
      zstdBackend: input.zstdBackend ?? null,
      backends: input.backends,
      machine: input.machine,
      loadAverageEnd: input.loadAverageEnd,
      peers: input.peers ? { configs: input.peers.configs.map(({ start: _start, ...c }) => c), skipped: input.peers.skipped } : null,
      measurements,
    },
    null,
    2,
  )}\n`;
}
