/**
 * The broker: a TCP listener speaking the Kafka protocol on top of the storage engine.
 *
 *   const broker = await startBroker({ dataDir: './data', port: 0 });
 *   // broker.host, broker.port, broker.address ('127.0.0.1:54321')
 *   await broker.close();
 *
 * Startup opens (and if needed recovers) the data directory, loads committed offsets and
 * listens; it takes milliseconds on an empty directory. `close()` stops accepting, lets every
 * in-flight request finish (long polls return at once), flushes and closes the storage engine,
 * which writes the clean-shutdown marker. The server uses the storage engine only through its
 * public API (src/storage/index.ts), the one another front-end would embed.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import net from 'node:net';
import { pino } from 'pino';
import type { Logger } from '../logger.js';
import { childLogger } from '../logger.js';
import { crc32cAddon, crc32cBackend } from '../format/crc32c.js';
import { zstdBackend, zstdVersion } from '../format/compression/index.js';
import { StorageEngine } from '../storage/index.js';
import { WorkerPool } from '../workers/pool.js';
import type { BrokerOptions } from './config.js';
import { resolveConfig } from './config.js';
import { Connection } from './connection.js';
import { FetchSessionCache } from './fetch-session-cache.js';
import type { FetchSessionCacheStats } from './fetch-session-cache.js';
import { FetchWaiters, partitionKey } from './fetch-waiters.js';
import { GroupCoordinator } from './group-coordinator.js';
import { FramePool } from '../protocol/index.js';
import { OffsetStore } from './offset-store.js';
import { BrokerStats } from './broker-stats.js';
import type { TrailingBytesCounter } from './broker-stats.js';
import { createDispatch } from './router.js';
import type { BrokerState } from './state.js';

export type { BrokerOptions } from './config.js';
export type { TrailingBytesCounter } from './broker-stats.js';
export type { FetchSessionCacheStats } from './fetch-session-cache.js';

/** The broker's counters at one moment, in an exportable shape (see broker-stats.ts). */
export interface BrokerStatsSnapshot {
  /** Requests whose body was followed by bytes the schema does not name (ignored), per API. */
  requestTrailingBytes: TrailingBytesCounter[];
  /** The incremental fetch session cache (KIP-227): sessions and partitions held, sessions created, evicted, refused. */
  fetchSessions: FetchSessionCacheStats;
}

export interface Broker {
  /** The address the listener is bound to. */
  readonly host: string;
  readonly port: number;
  /** `host:port` as clients should use it (the advertised address). */
  readonly address: string;
  readonly engine: StorageEngine;
  /** Open client connections. */
  readonly connections: number;
  /** The broker's counters now. */
  stats(): BrokerStatsSnapshot;
  close(): Promise<void>;
}

/** How long `close()` waits for in-flight requests before cutting connections. */
const SHUTDOWN_DRAIN_MS = 5_000;

export async function startBroker(options: BrokerOptions): Promise<Broker> {
  const config = resolveConfig(options);
  const log: Logger = options.logger ?? pino({ name: 'tributary', level: process.env.TRIBUTARY_LOG_LEVEL ?? 'warn' });
  const pool = new WorkerPool();
  let engine: StorageEngine;
  try {
    engine = await StorageEngine.open({
      dataDir: config.dataDir,
      backend: config.backend,
      logger: log,
      topicDefaults: config.topicDefaults,
      pool,
    });
  } catch (err) {
    await pool.close();
    throw err;
  }
  const waiters = new FetchWaiters();
  const unsubscribe = engine.onEndOffsetChange((topic, partition) => waiters.notify(partitionKey(topic, partition)));
  const coordinator = new GroupCoordinator(childLogger(log, { component: 'groups' }), config.groups);
  const offsets = await OffsetStore.open(engine, childLogger(log, { component: 'offsets' }));

  const server = net.createServer({ noDelay: true });
  const connections = new Set<Connection>();
  const state: BrokerState = {
    config,
    engine,
    log,
    waiters,
    fetchSessions: new FetchSessionCache(config.fetchSessions),
    coordinator,
    offsets,
    clusterId: clusterIdFor(config.dataDir),
    advertised: { host: '', port: 0 },
    creating: new Map(),
    stats: new BrokerStats(),
    closing: false,
  };
  const dispatch = createDispatch(state);
  const framePool = new FramePool();

  server.on('connection', (socket) => {
    if (state.closing || connections.size >= config.connectionsMax) {
      log.warn({ remote: socket.remoteAddress, open: connections.size }, 'connection refused: limit reached or shutting down');
      socket.destroy();
      return;
    }
    const c = new Connection(socket, config, dispatch, log, (gone) => connections.delete(gone), framePool);
    connections.add(c);
  });
  server.on('error', (err) => log.error({ err: err.message }, 'listener error'));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as net.AddressInfo;
  const anyHost = config.host === '0.0.0.0' || config.host === '::' || config.host === '';
  state.advertised.host = config.advertisedHost ?? (anyHost ? '127.0.0.1' : config.host);
  state.advertised.port = config.advertisedPort ?? bound.port;
  log.info({ host: bound.address, port: bound.port, advertised: `${state.advertised.host}:${state.advertised.port}`, dataDir: config.dataDir, backend: engine.backend, crc32c: crc32cAddon ?? crc32cBackend, zstd: zstdBackendLabel() }, 'broker listening');
  if (zstdBackend === null) log.warn({ zstd: 'none' }, 'no zstd backend (native/zstd addon or WebAssembly build) could be loaded: zstd batches are stored and served, but any that must be inflated get UNSUPPORTED_COMPRESSION_TYPE');

  let closed: Promise<void> | null = null;
  return {
    host: bound.address,
    port: bound.port,
    address: `${state.advertised.host}:${state.advertised.port}`,
    engine,
    get connections() {
      return connections.size;
    },
    stats: () => ({ requestTrailingBytes: state.stats.trailingBytes(), fetchSessions: state.fetchSessions.stats() }),
    close() {
      closed ??= (async () => {
        state.closing = true;
        const stopped = new Promise<void>((r) => server.close(() => r()));
        waiters.wakeAll();
        await Promise.all([...connections].map((c) => c.drainAndClose(SHUTDOWN_DRAIN_MS)));
        for (const c of connections) c.destroy();
        await stopped;
        coordinator.close();
        state.fetchSessions.clear();
        unsubscribe();
        await engine.close();
        await pool.close();
        log.info({}, 'broker stopped');
      })();
      return closed;
    },
  };
}

/** A cluster id that stays the same for a data directory (Kafka's form: 16 bytes, base64url). */
function clusterIdFor(dataDir: string): string {
  return createHash('sha256').update(path.resolve(dataDir)).digest().subarray(0, 16).toString('base64url');
}

/** Which zstd implementation this process uses, for the start-up log line: 'native 1.5.4', 'wasm' or 'none'. */
export function zstdBackendLabel(): string {
  if (zstdBackend === null) return 'none';
  return zstdVersion ? `${zstdBackend} ${zstdVersion}` : zstdBackend;
}
