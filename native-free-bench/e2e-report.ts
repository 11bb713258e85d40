/**
 * The end-to-end part of docs/benchmarks.md: machine limits, Tributary's scenarios as ratios
 * of the limits that bound them, the latency table, the peers side by side, and the
 * latency chart (chart-svg.ts) written next to the report.
 */
import path from 'node:path';
import type { ChartSeries } from './chart-svg.js';
import { renderLatencyChart } from './chart-svg.js';
import { DRAIN_MS, E2E_SIZES, FETCH_PARTITION_MAX_BYTES, LATENCY_BATCH_BYTES, TRIBUTARY_CONFIGS } from './e2e-bench.js';
import { PERCENTILES } from './latency.js';
import { IDLE_GAP_MS, INFLIGHT_BYTES, LIMIT_WRITE_BYTES, RTT_MESSAGE_BYTES, SYNC_WRITE_BYTES, THROUGHPUT_BATCH_BYTES, THROUGHPUT_INFLIGHT } from './limits.js';
import { PEER_DRIVER_DESCRIPTION } from './peers.js';
import type { PeerScenario } from './peers.js';
import type { ReportInput } from './report.js';
import type { Group, Results } from './results.js';
import { GROUPS } from './results.js';
import type { Summary } from './stats.js';

/**
 * The end-to-end metrics whose run-to-run spread the report's noise section lists; the
 * others (loop delay, CPU, secondary percentiles) are context and vary by nature.
 */
const NOISE_METRICS = new Set(['mbps', 'recordsPerSec', 'e2eP50Ms', 'e2eP99Ms', 'p50Us', 'p50Ms']);

/** Whether the noise section should report `metric` of a measurement in `group`. */
export function noiseWorthy(group: Group, metric: string): boolean {
  return !(group === 'limits' || group === 'e2e' || group === 'peers') || NOISE_METRICS.has(metric);
}

/** The groups to run: 'limits' is added whenever 'e2e' is selected (its ratios need it), in GROUPS order. */
export function e2eGroups(groups: readonly Group[]): Group[] {
  const set = new Set(groups);
  if (set.has('e2e')) set.add('limits');
  return GROUPS.filter((g) => set.has(g));
}

function num(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
const pct = (v: number): string => `${Math.round(v * 100)}%`;
const times = (v: number): string => `${num(v)}×`;

function show(s: Summary | undefined, f: (v: number) => string = num): string {
  if (!s) return '–';
  return s.runs > 1 ? `${f(s.median)} [${f(s.min)}–${f(s.max)}]` : f(s.median);
}

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

function limitsSection(r: Results): string[] {
  if (r.all('limits').length === 0) return [];
  const rtt = r.get('limits', 'rtt');
  return [
    '## Machine limits',
    '',
    'Measured in the same run, right before the end-to-end scenarios; every end-to-end figure below is shown as a ratio of the limit that bounds it.',
    '',
    table(
      ['limit', 'how', 'median [min–max]'],
      [
        ["fdatasync'd sequential writes", `\`write\` of ${LIMIT_WRITE_BYTES / 2 ** 20} MiB + \`fdatasync\` after each, in the benchmark's data directory (the storage baseline's \`rawWrite\`)`, `${show(r.summary('limits', 'fsync-write', 'mbps'))} MB/s`],
        [
          'fdatasync latency',
          `\`write\` of ${SYNC_WRITE_BYTES / 1024} KiB + \`fdatasync\`, one at a time (${r.get('limits', 'fdatasync') ? num(Number(r.get('limits', 'fdatasync')!.params.syncs)) : '–'} in the first run). A producer whose acks wait for fdatasync moves at most its bytes in flight per fdatasync: src/perf's ${INFLIGHT_BYTES / 1024} KiB in flight / p50 = ${show(r.summary('limits', 'fdatasync', 'inflightBoundMbps'))} MB/s`,
          `p50 ${show(r.summary('limits', 'fdatasync', 'p50Ms'))} ms, p99 ${show(r.summary('limits', 'fdatasync', 'p99Ms'))} ms`,
        ],
        [
          'loopback TCP throughput',
          `**Node to Node**, the faster of two directions: client → server (this process writes ${LIMIT_WRITE_BYTES / 2 ** 20} MiB buffers with backpressure to a Node child process that discards them; timed until the child has counted every byte: ${show(r.summary('limits', 'tcp', 'toServerMbps'))} MB/s) and server → client (the child writes ${LIMIT_WRITE_BYTES / 2 ** 20} MiB buffers; this process reads them into one reused ${LIMIT_WRITE_BYTES / 2 ** 20} MiB buffer with \`onread\`, as src/perf's consumer does: ${show(r.summary('limits', 'tcp', 'fromServerMbps'))} MB/s)`,
          `${show(r.summary('limits', 'tcp', 'mbps'))} MB/s`,
        ],
        ['loopback round trip', `${RTT_MESSAGE_BYTES} B written, echoed back by a Node child process, one at a time (${rtt ? num(Number(rtt.params.roundTrips)) : '–'} round trips in the first run)`, `p50 ${show(r.summary('limits', 'rtt', 'p50Us'))} µs, p99 ${show(r.summary('limits', 'rtt', 'p99Us'))} µs`],
        [
          'idle loopback round trip',
          `the same, but each after ${IDLE_GAP_MS} ms with nothing to do (${r.get('limits', 'rtt-idle') ? num(Number(r.get('limits', 'rtt-idle')!.params.roundTrips)) : '–'} round trips), so both processes, and on a VM the virtual CPUs, must be woken first — as between the records of a fixed-rate run, where every hop (producer → broker, fdatasync thread → event loop, broker → consumer) pays it`,
          `p50 ${show(r.summary('limits', 'rtt-idle', 'p50Us'))} µs, p99 ${show(r.summary('limits', 'rtt-idle', 'p99Us'))} µs`,
        ],
      ],
    ),
    '',
  ];
}

function loopCell(r: Results, key: string): string {
  const p50 = r.summary('e2e', key, 'loopP50Ms');
  if (!p50) return '–';
  return `${show(p50)} / ${show(r.summary('e2e', key, 'loopP99Ms'))} / ${show(r.summary('e2e', key, 'loopMaxMs'))}`;
}

function cpuCell(r: Results, group: Group, key: string): string {
  const c = r.summary(group, key, 'clientCpu');
  if (!c) return '–';
  const srv = r.summary(group, key, 'serverCpu');
  return `${show(c, (v) => v.toFixed(2))} / ${srv ? show(srv, (v) => v.toFixed(2)) : '–'}`;
}

function ackCell(r: Results, key: string): string {
  const p50 = r.summary('e2e', key, 'ackP50Ms');
  return p50 ? `${show(p50)} / ${show(r.summary('e2e', key, 'ackP99Ms'))}` : '–';
}

function tributarySection(input: ReportInput): string[] {
  const r = input.results;
  if (r.all('e2e').length === 0) return [];
  const sizes = E2E_SIZES[input.options.sizes.mode];
  const lat = r.get('e2e', 'latency-1k');
  const rows: string[][] = [];
  const throughput = (key: string, label: string, bound: string, primary: 'mbps' | 'records'): void => {
    if (!r.get('e2e', key)) return;
    const mb = `${show(r.summary('e2e', key, 'mbps'))} MB/s`;
    const rec = `${show(r.summary('e2e', key, 'recordsPerSec'))} records/s`;
    const inflight = r.summary('e2e', key, 'inflightRatio');
    const ratio = `${show(r.summary('e2e', key, 'ratio'), pct)}${inflight ? `; ${show(inflight, pct)} of the in-flight bound` : ''}`;
    rows.push([label, primary === 'mbps' ? `**${mb}** (${rec})` : `**${rec}** (${mb})`, bound, ratio, ackCell(r, key), loopCell(r, key), cpuCell(r, 'e2e', key)]);
  };
  throughput('produce-1k-acks1', '1 KiB records, max rate, acks=1', "min(fdatasync'd write, loopback TCP)", 'mbps');
  throughput('produce-1k-acksall', '1 KiB records, max rate, acks=-1', "min(fdatasync'd write, loopback TCP)", 'mbps');
  throughput('produce-100b', '100 B records, max rate, acks=-1 (one producer)', "min(fdatasync'd write, loopback TCP)", 'records');
  throughput('consume-100b', '… then consume all of them from the start', 'loopback TCP', 'records');
  throughput('fetch-1k', 'fetch cached data: the 1 KiB acks=1 topic from the start', 'loopback TCP', 'mbps');
  if (lat) {
    rows.push([
      `1 KiB records at a fixed ${lat.params.targetMbps} MB/s, end to end`,
      `p50 **${show(r.summary('e2e', 'latency-1k', 'e2eP50Ms'))} ms**, p99 ${show(r.summary('e2e', 'latency-1k', 'e2eP99Ms'))} ms, p99.9 ${show(r.summary('e2e', 'latency-1k', 'e2eP999Ms'))} ms, max ${show(r.summary('e2e', 'latency-1k', 'e2eMaxMs'))} ms; achieved ${show(r.summary('e2e', 'latency-1k', 'achievedMbps'))} MB/s`,
      `idle loopback round trip (p50 ${show(r.summary('limits', 'rtt-idle', 'p50Us'))} µs, p99 ${show(r.summary('limits', 'rtt-idle', 'p99Us'))} µs)`,
      `p50 = ${show(r.summary('e2e', 'latency-1k', 'p50OverIdleRtt'), times)}, p99 = ${show(r.summary('e2e', 'latency-1k', 'p99OverIdleRtt'), times)} the idle round trip's`,
      ackCell(r, 'latency-1k'),
      loopCell(r, 'latency-1k'),
      cpuCell(r, 'e2e', 'latency-1k'),
    ]);
  }
  const missing = r.summary('e2e', 'latency-1k', 'missing');
  return [
    '## End to end: Tributary broker on loopback',
    '',
    `The broker runs in its own process, started by the benchmark exactly as \`tributary serve\` runs: \`node dist/src/cli.js serve --host 127.0.0.1 --port 0 --data-dir <scratch> --log-level info --stats-interval-ms ${sizes.statsIntervalMs}\` (a fresh data directory each run; port 0 = a free port the broker reports). The load generator is src/perf (\`runProduce\` / \`runConsume\` / \`runE2e\`, what \`tributary perf\` runs) in the benchmark process, which does nothing else meanwhile: two processes, two event loops, two cores. Load generator settings: one partition, no compression, in the max-rate produce scenarios batch.size ${THROUGHPUT_BATCH_BYTES / 1024} KiB with ${THROUGHPUT_INFLIGHT} requests in flight (a throughput-tuned producer; the peers' drivers use the same), src/perf's defaults otherwise (linger 5 ms, one consumer with one fetch in flight; the consume scenarios fetch up to ${FETCH_PARTITION_MAX_BYTES / 2 ** 20} MiB per partition, max.partition.fetch.bytes tuned for throughput as the producer is). Max-rate scenarios run ${sizes.warmupS} s of warm-up then ${sizes.produceS} s measured; the fixed-rate scenario ${sizes.latencyWarmupS} s + ${sizes.latencyS} s with batch.size ${LATENCY_BATCH_BYTES / 1024} KiB (so that one producer can sustain the rate with every batch waiting for fdatasync; records still unread ${DRAIN_MS / 1000} s after the schedule ended count as missing).`,
    '',
    `Durability: Tributary's default, **flush.messages=1** — a produce is acknowledged once fdatasync covers it (group commit). On a single broker acks=1 and acks=-1 wait for the same thing (the leader is the whole ISR), so the first two rows should agree. MB/s counts record batches as sent and written (what crosses the socket and hits the disk); "records/s" counts records. The latency row is per record, from its *intended* send time (the schedule is fixed in advance, so a stall shows up as latency: no coordinated omission) to its receipt by the consumer${missing && missing.max > 0 ? `; **some records were missing** (max ${num(missing.max)})` : ''}. "ack p50 / p99" is the produce latency per batch (closed loop in the max-rate rows, so it mostly measures queueing). "Broker event loop" is \`perf_hooks.monitorEventLoopDelay\` inside the broker (10 ms sampling timer, delay beyond it): p50 = median of the ${sizes.statsIntervalMs} ms windows inside the scenario, p99 = the worst window's p99, max = max. "CPU" is each process's user + system time over the scenario's wall time (1.00 = one core busy throughout; the broker's includes its worker threads).`,
    '',
    table(['scenario', 'result', 'bounded by', 'ratio of the bound', 'ack p50 / p99 ms', 'broker event loop delay p50 / p99 / max ms', 'CPU, cores: load generator / broker'], rows),
    '',
  ];
}

interface Row {
  label: string;
  cells: Record<PeerScenario, Summary | undefined>;
}

const SCENARIO_METRIC: Record<PeerScenario, string> = {
  'produce-1k': 'mbps',
  'produce-100b': 'recordsPerSec',
  'consume-100b': 'recordsPerSec',
  'fetch-1k': 'mbps',
  'latency-1k': 'e2eP99Ms',
};

function tributaryRows(r: Results): Row[] {
  const s = (key: string, metric: string): Summary | undefined => r.summary('e2e', key, metric);
  const bytesPayload = (key: string): Summary | undefined => s(key, 'payloadMbps');
  return [
    {
      label: TRIBUTARY_CONFIGS.default.label,
      cells: { 'produce-1k': bytesPayload('produce-1k-acksall'), 'produce-100b': s('produce-100b', 'recordsPerSec'), 'consume-100b': s('consume-100b', 'recordsPerSec'), 'fetch-1k': s('fetch-1k', 'mbps'), 'latency-1k': s('latency-1k', 'e2eP99Ms') },
    },
    {
      label: TRIBUTARY_CONFIGS.relaxed.label,
      cells: { 'produce-1k': bytesPayload('produce-1k-relaxed'), 'produce-100b': s('produce-100b-relaxed', 'recordsPerSec'), 'consume-100b': undefined, 'fetch-1k': undefined, 'latency-1k': undefined },
    },
  ];
}

function peersSection(input: ReportInput): string[] {
  const setup = input.peers;
  if (!setup) return [];
  const r = input.results;
  const sizes = E2E_SIZES[input.options.sizes.mode];
  const out = ['## Peers side by side', ''];
  out.push(
    `Each peer is started by the benchmark on a free loopback port with its data in the scratch directory (same disk), and driven from the benchmark process by one driver for all peers (native-free-bench/peers/driver.ts): ${PEER_DRIVER_DESCRIPTION} — the same shape as src/perf's producer and consumer. Same record sizes and values (log lines), same durations (${sizes.warmupS} s warm-up + ${sizes.produceS} s), same fixed-rate schedule (no coordinated omission) with ${LATENCY_BATCH_BYTES / 1024} KiB batches. A record is one Redis stream entry (\`XADD key * v <value>\`; reads \`XREAD COUNT <~1 MiB> BLOCK 100\`) or one JetStream message (\`js.publish\`, PubAck awaited; reads with an ordered pull consumer).`,
    '',
  );
  if (setup.configs.length > 0) {
    out.push(
      table(
        ['system', 'version', 'started as', 'an acknowledgement means', 'compared with'],
        setup.configs.map((c) => [c.label, c.version.replace(/\|/g, '/'), `\`${c.command}\``, c.durability, c.comparedWith]),
      ),
      '',
    );
  }
  if (setup.skipped.length > 0) out.push('Not measured:', '', ...setup.skipped.map((s) => `- ${s}`), '');
  const rows: Row[] = [...tributaryRows(r)];
  for (const c of setup.configs) {
    const cells = {} as Record<PeerScenario, Summary | undefined>;
    for (const sc of Object.keys(SCENARIO_METRIC) as PeerScenario[]) cells[sc] = r.summary('peers', `${c.id}/${sc}`, SCENARIO_METRIC[sc]);
    rows.push({ label: c.label, cells });
  }
  if (r.all('peers').length === 0 && r.all('e2e').length === 0) return out;
  // Ratios: Tributary's figure ÷ the peer's, against the Tributary row of the same (or nearest) durability for produces; reads and latency against the default broker.
  const ratio = (c: (typeof setup.configs)[number] | null, sc: PeerScenario, peer: Summary | undefined): string => {
    if (!c || !peer) return '';
    const tRow = sc.startsWith('produce') && c.comparedWith.startsWith(TRIBUTARY_CONFIGS.relaxed.label) ? rows[1]! : rows[0]!;
    const t = tRow.cells[sc];
    if (!t || peer.median === 0) return '';
    const v = sc === 'latency-1k' ? peer.median / t.median : t.median / peer.median;
    return ` (T ${times(v)})`;
  };
  const head = ['system', 'produce 1 KiB, payload MB/s', 'produce 100 B, records/s', 'consume 100 B, records/s', 'fetch 1 KiB cached, MB/s', `end-to-end p99 at ${sizes.latencyMbps} MB/s, ms`];
  const body = rows.map((row, i) => {
    const c = i < 2 ? null : setup.configs[i - 2]!;
    return [row.label, ...(Object.keys(SCENARIO_METRIC) as PeerScenario[]).map((sc) => `${show(row.cells[sc])}${ratio(c, sc, row.cells[sc])}`)];
  });
  out.push(
    table(head, body),
    '',
    `"(T n×)" = how Tributary compares: Tributary's median ÷ the peer's for throughput, the peer's p99 ÷ Tributary's for latency (above 1 = Tributary better). Produce columns compare with the Tributary row of the same durability (see "compared with"); reads and latency with the default broker. Tributary's produce MB/s here counts record values only (payload), like the peers'; its fetch MB/s counts record batches.`,
    '',
  );
  const cpuRows: string[][] = [
    [TRIBUTARY_CONFIGS.default.label, ...(['produce-1k-acksall', 'produce-100b', 'consume-100b', 'fetch-1k', 'latency-1k'] as const).map((k) => cpuCell(r, 'e2e', k))],
    [TRIBUTARY_CONFIGS.relaxed.label, cpuCell(r, 'e2e', 'produce-1k-relaxed'), cpuCell(r, 'e2e', 'produce-100b-relaxed'), '–', '–', '–'],
    ...setup.configs.map((c) => [c.label, ...(Object.keys(SCENARIO_METRIC) as PeerScenario[]).map((sc) => cpuCell(r, 'peers', `${c.id}/${sc}`))]),
  ];
  out.push(
    'CPU in the same scenarios, cores used by the client (this process: src/perf for Tributary, the Node driver with ioredis / nats.js for the peers) / by the server process. A client near 1.00 means the client, not the server, set the pace: read the peer figures above as "this Node client against that server".',
    '',
    table(['system', ...head.slice(1)], cpuRows),
    '',
  );
  return out;
}

function latencyTable(input: ReportInput): string[] {
  const r = input.results;
  const series = latencySeries(r, input);
  if (series.length === 0) return [];
  const chart = chartFile(input.options.out);
  return [
    '## Latency percentiles',
    '',
    `End to end (intended send → receipt) at the fixed rate, and produce acknowledgement latency per batch in the max-rate runs (closed loop: at max rate that is mostly queueing behind the ${THROUGHPUT_INFLIGHT} requests in flight). Medians over the runs, ms.`,
    '',
    table(['series', ...PERCENTILES.map((p) => p.label)], series.map((s) => [s.label, ...s.values.map((v) => num(v))])),
    '',
    ...rateNotes(input),
    `![Latency percentiles](${chart})`,
    '',
    `Chart: [${chart}](${chart}) (x: percentile, y: latency, log scale).`,
    '',
  ];
}

/** Whether each fixed-rate run kept up: a run that did not reports the queue it built, not the system's latency. */
function rateNotes(input: ReportInput): string[] {
  const r = input.results;
  const runs: [string, Group, string][] = [['Tributary', 'e2e', 'latency-1k'], ...(input.peers?.configs ?? []).map((c): [string, Group, string] => [c.label, 'peers', `${c.id}/latency-1k`])];
  const lines = runs
    .filter(([, g, k]) => r.get(g, k))
    .map(([label, g, k]) => {
      const missing = r.summary(g, k, 'missing');
      return `- ${label}: rate achieved ${show(r.summary(g, k, 'rateRatio'), pct)} of the target${missing && missing.max > 0 ? `, records missing after the drain: ${show(missing)}` : ''}`;
    });
  return lines.length > 0 ? ['Fixed-rate runs (below ~100% the system did not keep up and its percentiles measure a growing backlog):', '', ...lines, ''] : [];
}

const LAT_KEYS: Record<string, string> = { p50Ms: 'P50Ms', p90Ms: 'P90Ms', p99Ms: 'P99Ms', p999Ms: 'P999Ms', maxMs: 'MaxMs' };

function latencySeries(r: Results, input: ReportInput): ChartSeries[] {
  const out: ChartSeries[] = [];
  const add = (label: string, group: Group, key: string, prefix: string): void => {
    const values = PERCENTILES.map((p) => r.summary(group, key, `${prefix}${LAT_KEYS[p.key]}`)?.median);
    if (values.every((v) => v !== undefined)) out.push({ label, values: values as number[] });
  };
  const mbps = E2E_SIZES[input.options.sizes.mode].latencyMbps;
  add(`Tributary e2e @${mbps} MB/s`, 'e2e', 'latency-1k', 'e2e');
  for (const c of input.peers?.configs ?? []) add(`${c.short} e2e @${mbps} MB/s`, 'peers', `${c.id}/latency-1k`, 'e2e');
  add('Tributary ack, 1 KiB acks=1', 'e2e', 'produce-1k-acks1', 'ack');
  add('Tributary ack, 1 KiB acks=-1', 'e2e', 'produce-1k-acksall', 'ack');
  add('Tributary ack, 100 B', 'e2e', 'produce-100b', 'ack');
  return out;
}

/** benchmarks.md -> benchmarks-latency.svg (next to the report). */
export function chartFile(out: string): string {
  return `${path.basename(out, path.extname(out))}-latency.svg`;
}

/** The chart, or null when nothing with latencies was measured. */
export function latencyChart(input: ReportInput): { file: string; svg: string } | null {
  const series = latencySeries(input.results, input);
  if (series.length === 0) return null;
  const m = input.machine;
  const subtitle = `${m.cpuModel}, ${m.cores} cores, ${input.startedAt.toISOString().slice(0, 10)}; median of ${input.options.runs} run(s); ${input.options.sizes.mode} mode`;
  return { file: chartFile(input.options.out), svg: renderLatencyChart('Tributary and peers: latency percentiles (ms, log scale)', PERCENTILES.map((p) => p.label), series, subtitle) };
}

export function e2eSections(input: ReportInput): string[] {
  return [...limitsSection(input.results), ...tributarySection(input), ...latencyTable(input), ...peersSection(input)];
}

