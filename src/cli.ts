#!/usr/bin/env node
/**
 * The `tributary` command.
 *
 *   tributary serve [--host H] [--port P] [--data-dir D] [--advertised-host H] [--advertised-port P]
 *                   [--partitions N] [--no-auto-create-topics] [--flush-messages N] [--flush-ms MS]
 *                   [--backend auto|mmap|file] [--log-level L]
 *
 *   tributary perf produce|consume|e2e [options]   the load generator (src/perf/, docs/perf.md)
 *
 * Environment: TRIBUTARY_HOST, TRIBUTARY_PORT, TRIBUTARY_DATA_DIR (flags win), TRIBUTARY_LOG_LEVEL.
 * SIGTERM/SIGINT shut down gracefully: stop accepting, finish in-flight requests, flush,
 * write the clean-shutdown marker.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { Logger } from './logger.js';
import { startBroker } from './server/broker.js';

const USAGE = `usage: tributary serve [options]
       tributary perf produce|consume|e2e [options]   (tributary perf --help)
       tributary groups list|describe GROUP [--bootstrap HOST:PORT]

  --host HOST              interface to listen on (env TRIBUTARY_HOST, default 127.0.0.1)
  --port PORT              port to listen on (env TRIBUTARY_PORT, default 9092)
  --data-dir DIR           data directory (env TRIBUTARY_DATA_DIR, default ./data)
  --advertised-host HOST   host given to clients in Metadata (default: the listener's)
  --advertised-port PORT   port given to clients in Metadata (default: the listener's)
  --partitions N           partitions of auto-created topics (default 1)
  --no-auto-create-topics  answer UNKNOWN_TOPIC_OR_PARTITION instead of creating topics
  --flush-messages N       default flush.messages for new topics (1 = fdatasync before ack)
  --flush-ms MS            default flush.ms for new topics
  --backend B              storage backend: auto, mmap or file (default auto)
  --log-level L            pino level (env TRIBUTARY_LOG_LEVEL, default info)
`;

function intArg(name: string, v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) {
    process.stderr.write(`tributary: ${name} must be an integer, got '${v}'\n`);
    process.exit(2);
  }
  return n;
}

async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'data-dir': { type: 'string' },
      'advertised-host': { type: 'string' },
      'advertised-port': { type: 'string' },
      partitions: { type: 'string' },
      'no-auto-create-topics': { type: 'boolean' },
      'flush-messages': { type: 'string' },
      'flush-ms': { type: 'string' },
      backend: { type: 'string' },
      'log-level': { type: 'string' },
      // Hidden (not in USAGE): used by `make bench` (native-free-bench/broker-process.ts).
      'stats-interval-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const env = process.env;
  const logger = pino({ name: 'tributary', level: values['log-level'] ?? env.TRIBUTARY_LOG_LEVEL ?? 'info' });
  const topicDefaults: Record<string, string> = {};
  if (values['flush-messages'] !== undefined) topicDefaults['flush.messages'] = String(intArg('--flush-messages', values['flush-messages']));
  if (values['flush-ms'] !== undefined) topicDefaults['flush.ms'] = String(intArg('--flush-ms', values['flush-ms']));
  const backend = values.backend ?? 'auto';
  if (backend !== 'auto' && backend !== 'mmap' && backend !== 'file') {
    process.stderr.write(`tributary: --backend must be auto, mmap or file\n`);
    process.exit(2);
  }
  const broker = await startBroker({
    host: values.host ?? env.TRIBUTARY_HOST ?? '127.0.0.1',
    port: intArg('--port', values.port ?? env.TRIBUTARY_PORT) ?? 9092,
    dataDir: values['data-dir'] ?? env.TRIBUTARY_DATA_DIR ?? './data',
    advertisedHost: values['advertised-host'],
    advertisedPort: intArg('--advertised-port', values['advertised-port']),
    defaultPartitions: intArg('--partitions', values.partitions),
    autoCreateTopics: !values['no-auto-create-topics'],
    topicDefaults,
    backend,
    logger,
  });
  const statsIntervalMs = intArg('--stats-interval-ms', values['stats-interval-ms']);
  if (statsIntervalMs !== undefined && statsIntervalMs > 0) logEventLoopDelay(logger, statsIntervalMs);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    broker.close().then(
      () => {
        logger.info({}, 'stopped cleanly');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** Sampling period of the event-loop delay monitor: Node's default; shorter periods perturb the loop more. */
const EVENT_LOOP_SAMPLE_MS = 10;

/**
 * Hidden `--stats-interval-ms MS`: every MS, logs the event-loop delay percentiles of that
 * window (then starts a new one), for the benchmark to attribute to its scenarios. The
 * monitor records the interval between consecutive 10 ms timer callbacks; the delay logged
 * is that interval minus the 10 ms (an idle loop shows ~0), in milliseconds.
 */
function logEventLoopDelay(logger: Logger, intervalMs: number): void {
  const h = monitorEventLoopDelay({ resolution: EVENT_LOOP_SAMPLE_MS });
  h.enable();
  const ms = (ns: number): number => Math.max(0, ns / 1e6 - EVENT_LOOP_SAMPLE_MS);
  let windowStartMs = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    if (h.count > 0) {
      const eventLoopDelay = { windowStartMs, windowEndMs: now, samples: h.count, p50Ms: ms(h.percentile(50)), p99Ms: ms(h.percentile(99)), maxMs: ms(h.max), meanMs: ms(h.mean) };
      logger.info({ eventLoopDelay }, 'event loop delay');
    }
    h.reset();
    windowStartMs = now;
  }, intervalMs);
  timer.unref();
}

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  switch (cmd) {
    case 'serve':
      return serve(rest);
    case 'perf': {
      // Loaded on demand: serve does not need the load generator (or its histograms).
      const { perfMain } = await import('./perf/cli.js');
      const status = await perfMain(rest);
      process.exit(status);
      return;
    }
    case 'groups': {
      const { groupsCommand } = await import('./tools/groups-command.js');
      process.exitCode = await groupsCommand(rest);
      return;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return;
    default:
      process.stderr.write(`tributary: unknown command '${cmd}'\n${USAGE}`);
      process.exit(2);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`tributary: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
