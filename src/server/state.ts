/**
 * What every request handler sees: the broker's settings, the storage engine (through its
 * public API only), the group coordinator, committed offsets and the long-poll waiters.
 */
import type { Logger } from '../logger.js';
import type { BrokerStats } from './broker-stats.js';
import type { StorageEngine } from '../storage/index.js';
import { TributaryError } from '../errors.js';
import { validateTopicName } from '../storage/index.js';
import type { BrokerConfig } from './config.js';
import type { FetchSessionCache } from './fetch-session-cache.js';
import type { FetchWaiters } from './fetch-waiters.js';
import type { GroupCoordinator } from './group-coordinator.js';
import type { OffsetStore } from './offset-store.js';

export interface BrokerState {
  readonly config: BrokerConfig;
  readonly engine: StorageEngine;
  readonly log: Logger;
  readonly waiters: FetchWaiters;
  /** Incremental fetch sessions (KIP-227). */
  readonly fetchSessions: FetchSessionCache;
  readonly coordinator: GroupCoordinator;
  readonly offsets: OffsetStore;
  readonly clusterId: string;
  /** The host and port handed to clients (Metadata, FindCoordinator). */
  readonly advertised: { host: string; port: number };
  /** Topic creations in progress, so concurrent auto-creates of one topic create it once. */
  readonly creating: Map<string, Promise<void>>;
  /** Counters about what clients send (broker-stats.ts), exposed by `Broker.stats()`. */
  readonly stats: BrokerStats;
  /** Set when shutdown begins: long polls return at once. */
  closing: boolean;
}

/** Internal topics (Kafka: names starting with "__") are not auto-created or written by clients. */
export function isInternalTopic(name: string): boolean {
  return name.startsWith('__');
}

/**
 * Creates `name` with the default partition count if auto-creation is on and the name is
 * valid; resolves true when the topic exists afterwards. Throws INVALID_TOPIC for a bad name.
 */
export async function ensureTopic(state: BrokerState, name: string, allowAutoCreate = true): Promise<boolean> {
  if (state.engine.hasTopic(name)) return true;
  validateTopicName(name);
  if (!state.config.autoCreateTopics || !allowAutoCreate || isInternalTopic(name)) return false;
  let pending = state.creating.get(name);
  if (!pending) {
    pending = state.engine
      .createTopic(name, { partitions: state.config.defaultPartitions })
      .catch((err: unknown) => {
        if (!(err instanceof TributaryError && err.code === 'TOPIC_EXISTS')) throw err;
      })
      .finally(() => state.creating.delete(name));
    state.creating.set(name, pending);
    state.log.info({ topic: name, partitions: state.config.defaultPartitions }, 'auto-creating topic');
  }
  await pending;
  return true;
}
