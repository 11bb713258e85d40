/**
 * Broker settings: what `startBroker` takes and what `tributary serve` builds from its
 * flags and environment. Every client-controlled quantity the server bounds is here, with
 * its default taken from src/limits.ts.
 */
import * as limits from '../limits.js';
import type { Logger } from '../logger.js';
import type { FetchSessionCacheSettings } from './fetch-session-cache.js';
import { fetchSessionCacheDefaults } from './fetch-session-cache.js';
import type { CoordinatorSettings } from './group-coordinator.js';
import { coordinatorDefaults } from './group-coordinator.js';

export interface BrokerOptions {
  /** Directory holding topics and checkpoints. */
  dataDir: string;
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** Port to listen on; 0 picks a free one. Default 9092. */
  port?: number;
  /** Host handed to clients in Metadata (defaults to the listener's host, or 127.0.0.1 when bound to all interfaces). */
  advertisedHost?: string;
  /** Port handed to clients in Metadata (defaults to the listening port). */
  advertisedPort?: number;
  /** This broker's node id. Default 0. */
  nodeId?: number;
  /** Create unknown topics on Metadata/Produce (auto.create.topics.enable). Default true. */
  autoCreateTopics?: boolean;
  /** Partitions of an auto-created topic (num.partitions). Default 1. */
  defaultPartitions?: number;
  /** Topic config defaults for new topics (e.g. { 'flush.messages': '1' }). */
  topicDefaults?: Record<string, string>;
  /** Storage I/O backend. Default 'auto' (mmap when available). */
  backend?: 'auto' | 'mmap' | 'file';
  /** Largest request frame. */
  frameBytesMax?: number;
  /** Requests in flight per connection before the server stops reading from it. */
  inflightRequestsMax?: number;
  /** Open connections; further ones are closed at once. */
  connectionsMax?: number;
  /** Queued response bytes per connection before the server stops reading from it. */
  connectionOutputBytesMax?: number;
  /** Consumer-group coordinator settings (Kafka's group.* broker settings); see docs/groups.md. */
  groups?: Partial<CoordinatorSettings>;
  /**
   * Incremental fetch session cache (KIP-227): `slots` is Kafka's
   * max.incremental.fetch.session.cache.slots (default 1000, 0 = no sessions); partition
   * bounds and the eviction age default to src/limits.ts.
   */
  fetchSessions?: Partial<FetchSessionCacheSettings>;
  /** Structured logger (pino). Default: a pino logger at TRIBUTARY_LOG_LEVEL or 'warn'. */
  logger?: Logger;
}

export interface BrokerConfig {
  dataDir: string;
  host: string;
  port: number;
  advertisedHost: string | undefined;
  advertisedPort: number | undefined;
  nodeId: number;
  autoCreateTopics: boolean;
  defaultPartitions: number;
  topicDefaults: Record<string, string>;
  backend: 'auto' | 'mmap' | 'file';
  frameBytesMax: number;
  inflightRequestsMax: number;
  connectionsMax: number;
  connectionOutputBytesMax: number;
  groups: CoordinatorSettings;
  fetchSessions: FetchSessionCacheSettings;
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return v;
}

export function resolveConfig(o: BrokerOptions): BrokerConfig {
  const port = o.port ?? 9092;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be 0-65535, got ${port}`);
  const defaultPartitions = positiveInt('defaultPartitions', o.defaultPartitions ?? limits.partitionsDefault);
  if (defaultPartitions > limits.partitionsMax) throw new RangeError(`defaultPartitions must be at most ${limits.partitionsMax}`);
  return {
    dataDir: o.dataDir,
    host: o.host ?? '127.0.0.1',
    port,
    advertisedHost: o.advertisedHost,
    advertisedPort: o.advertisedPort,
    nodeId: o.nodeId ?? 0,
    autoCreateTopics: o.autoCreateTopics ?? true,
    defaultPartitions,
    topicDefaults: o.topicDefaults ?? {},
    backend: o.backend ?? 'auto',
    frameBytesMax: positiveInt('frameBytesMax', o.frameBytesMax ?? limits.frameBytesMax),
    inflightRequestsMax: positiveInt('inflightRequestsMax', o.inflightRequestsMax ?? limits.inflightRequestsMax),
    connectionsMax: positiveInt('connectionsMax', o.connectionsMax ?? limits.connectionsMax),
    connectionOutputBytesMax: positiveInt('connectionOutputBytesMax', o.connectionOutputBytesMax ?? limits.connectionOutputBytesMax),
    groups: { ...coordinatorDefaults, ...o.groups },
    fetchSessions: fetchSessionSettings({ ...fetchSessionCacheDefaults, ...o.fetchSessions }),
  };
}

function fetchSessionSettings(s: FetchSessionCacheSettings): FetchSessionCacheSettings {
  if (!Number.isInteger(s.slots) || s.slots < 0) throw new RangeError(`fetchSessions.slots must be a non-negative integer, got ${s.slots}`);
  positiveInt('fetchSessions.partitionsMax', s.partitionsMax);
  positiveInt('fetchSessions.totalPartitionsMax', s.totalPartitionsMax);
  if (!Number.isInteger(s.evictionMs) || s.evictionMs < 0) throw new RangeError(`fetchSessions.evictionMs must be a non-negative integer, got ${s.evictionMs}`);
  return s;
}
