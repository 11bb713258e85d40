/**
 * Finding a topic's partitions and their leaders on any Kafka-compatible cluster, the way a
 * client must against real Kafka: ApiVersions to pick request versions inside the broker's
 * ranges, Metadata for the brokers' advertised addresses and each partition's leader,
 * CreateTopics when the topic is missing, ListOffsets for where consumers start and end.
 *
 * Every connection negotiates its own versions (brokers of one cluster may differ during an
 * upgrade). Errors are INVALID_ARGUMENT (bad address, unsupported broker) or CLOSED
 * (broker went away), with the broker and API named.
 */
import { KafkaConnection } from '../client/kafka-connection.js';
import { TributaryError } from '../errors.js';
import type { ApiName, FramePool } from '../protocol/index.js';
import { KafkaErrorCode, ZERO_UUID, kafkaErrorByCode } from '../protocol/index.js';

/**
 * The versions this tool can speak, per API: the range its requests are written for. The
 * highest version both sides support wins. Produce starts at 3 (RecordBatch v2); Fetch stops
 * at 12 (v13+ name topics by id); Metadata starts at 1 (nullable topic list).
 */
export const CLIENT_VERSIONS = {
  Produce: [3, 11],
  Fetch: [4, 12],
  Metadata: [1, 12],
  CreateTopics: [2, 7],
  ListOffsets: [1, 10],
} as const satisfies Partial<Record<ApiName, readonly [number, number]>>;

export type NegotiatedApi = keyof typeof CLIENT_VERSIONS;
export type ApiVersionsUsed = Record<NegotiatedApi, number>;

/** How long to wait for a new topic's partitions to have leaders. */
const TOPIC_READY_MS_MAX = 30_000;
/** Pause between Metadata polls while waiting. */
const METADATA_RETRY_MS = 100;
/** Timeout given to the broker for CreateTopics and ListOffsets. */
const ADMIN_TIMEOUT_MS = 30_000;

export interface BrokerNode {
  nodeId: number;
  host: string;
  port: number;
}

/** A connection with the versions negotiated on it. */
export interface NegotiatedConnection {
  conn: KafkaConnection;
  node: BrokerNode;
  versions: ApiVersionsUsed;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function errorName(code: number): string {
  return kafkaErrorByCode(code)?.name ?? `error ${code}`;
}

/**
 * ApiVersions: v3 first (flexible, what modern clients send); a broker too old for it
 * answers UNSUPPORTED_VERSION in v0 format, or fails to parse, and we ask again with v0.
 */
async function brokerRanges(conn: KafkaConnection): Promise<Map<number, { min: number; max: number }>> {
  let keys: { apiKey: number; minVersion: number; maxVersion: number }[] | null = null;
  try {
    const r = await conn.request('ApiVersions', 3, { clientSoftwareName: 'tributary-perf', clientSoftwareVersion: '1' });
    if (r.errorCode === 0) keys = r.apiKeys;
  } catch (err) {
    if (conn.closed) throw err;
  }
  if (keys === null) {
    const r = await conn.request('ApiVersions', 0, {});
    if (r.errorCode !== 0) throw new TributaryError('UNSUPPORTED_VERSION', `ApiVersions v0 failed: ${errorName(r.errorCode)}`);
    keys = r.apiKeys;
  }
  return new Map(keys.map((k) => [k.apiKey, { min: k.minVersion, max: k.maxVersion }]));
}

const API_KEYS: Record<NegotiatedApi, number> = { Produce: 0, Fetch: 1, ListOffsets: 2, Metadata: 3, CreateTopics: 19 };

/** Picks, per API, the highest version inside both our range and the broker's. */
export function pickVersions(ranges: Map<number, { min: number; max: number }>, where: string): ApiVersionsUsed {
  const out = {} as ApiVersionsUsed;
  for (const api of Object.keys(CLIENT_VERSIONS) as NegotiatedApi[]) {
    const [ourMin, ourMax] = CLIENT_VERSIONS[api];
    const theirs = ranges.get(API_KEYS[api]);
    const v = theirs === undefined ? -1 : Math.min(ourMax, theirs.max);
    if (theirs === undefined || v < ourMin || v < theirs.min) {
      const has = theirs === undefined ? 'does not support it' : `supports v${theirs.min}-${theirs.max}`;
      throw new TributaryError('UNSUPPORTED_VERSION', `broker ${where}: ${api} v${ourMin}-${ourMax} needed, broker ${has}`, { api, broker: where });
    }
    out[api] = v;
  }
  return out;
}

/** Connects to `node` and negotiates versions; the connection is the caller's to close. */
export async function connectNode(node: BrokerNode, clientId: string, reads?: { framePool: FramePool; readBufferBytes: number }): Promise<NegotiatedConnection> {
  const where = `${node.host}:${node.port}`;
  let conn: KafkaConnection;
  try {
    conn = await KafkaConnection.connect({ host: node.host, port: node.port, clientId, ...(reads ?? {}) });
  } catch (err) {
    throw new TributaryError('CLOSED', `cannot connect to broker ${where}: ${(err as Error).message}`, { broker: where }, err);
  }
  try {
    return { conn, node, versions: pickVersions(await brokerRanges(conn), where) };
  } catch (err) {
    conn.close();
    throw err;
  }
}

export interface TopicLayout {
  clusterId: string | null;
  topic: string;
  /** Leader node of partition i at index i. */
  leaders: BrokerNode[];
  created: boolean;
  /** Versions negotiated with the bootstrap broker (reported; each connection has its own). */
  versions: ApiVersionsUsed;
  /** Non-fatal notes for the report (e.g. --partitions ignored for an existing topic). */
  warnings: string[];
}

async function metadata(c: NegotiatedConnection, topic: string) {
  const r = await c.conn.request('Metadata', c.versions.Metadata, {
    topics: [{ name: topic, topicId: ZERO_UUID }],
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
  const t = r.topics.find((x) => x.name === topic);
  return { r, t };
}

/**
 * Looks `topic` up through the bootstrap broker; with `create`, creates it (`partitions`
 * partitions, the broker's default replication) when missing. Waits until every partition
 * has a leader with a known address.
 */
export async function discoverTopic(bootstrap: BrokerNode, topic: string, opts: { create: boolean; partitions: number; clientId: string }): Promise<TopicLayout> {
  const c = await connectNode(bootstrap, opts.clientId);
  try {
    let created = false;
    const warnings: string[] = [];
    const deadline = Date.now() + TOPIC_READY_MS_MAX;
    for (;;) {
      const { r, t } = await metadata(c, topic);
      const code = t?.errorCode ?? KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      if (code === KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION && !created) {
        if (!opts.create) throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `topic '${topic}' does not exist on ${bootstrap.host}:${bootstrap.port}`, { topic });
        await createTopic(c, topic, opts.partitions);
        created = true;
        continue;
      }
      const brokers = new Map(r.brokers.map((b) => [b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port }]));
      if (t && code === 0) {
        const parts = [...t.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex);
        const leaders = parts.map((p) => (p.errorCode === 0 ? brokers.get(p.leaderId) : undefined));
        const dense = parts.every((p, i) => p.partitionIndex === i);
        if (dense && parts.length > 0 && leaders.every((l) => l !== undefined)) {
          if (!created && parts.length !== opts.partitions && opts.partitions !== 1) {
            warnings.push(`topic '${topic}' exists with ${parts.length} partitions; --partitions ${opts.partitions} applies only when creating it`);
          }
          return { clusterId: r.clusterId, topic, leaders: leaders as BrokerNode[], created, versions: c.versions, warnings };
        }
      } else if (code !== 0 && !(kafkaErrorByCode(code)?.retriable ?? false)) {
        throw new TributaryError('INVALID_ARGUMENT', `Metadata for topic '${topic}' failed: ${errorName(code)}`, { topic, errorCode: code });
      }
      if (Date.now() > deadline) throw new TributaryError('CLOSED', `topic '${topic}': partitions still have no leader after ${TOPIC_READY_MS_MAX} ms`, { topic });
      await sleep(METADATA_RETRY_MS);
    }
  } finally {
    c.conn.close();
  }
}

async function createTopic(c: NegotiatedConnection, topic: string, partitions: number): Promise<void> {
  const v = c.versions.CreateTopics;
  const r = await c.conn.request('CreateTopics', v, {
    // replicationFactor -1 (the broker's default.replication.factor) needs v4+.
    topics: [{ name: topic, numPartitions: partitions, replicationFactor: v >= 4 ? -1 : 1, assignments: [], configs: [] }],
    timeoutMs: ADMIN_TIMEOUT_MS,
    validateOnly: false,
  });
  const res = r.topics[0];
  const code = res?.errorCode ?? -1;
  if (code !== 0 && code !== KafkaErrorCode.TOPIC_ALREADY_EXISTS) {
    throw new TributaryError('INVALID_ARGUMENT', `CreateTopics '${topic}' failed: ${errorName(code)}${res?.errorMessage ? ` (${res.errorMessage})` : ''}`, { topic, errorCode: code });
  }
}

/** ListOffsets sentinel timestamps. */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;

/** Offsets of `partitions` (all led by `c`'s broker) at `timestamp` (LATEST/EARLIEST). */
export async function listOffsets(c: NegotiatedConnection, topic: string, partitions: number[], timestamp: number): Promise<Map<number, number>> {
  const r = await c.conn.request('ListOffsets', c.versions.ListOffsets, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: partitions.map((p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 })) }],
    timeoutMs: ADMIN_TIMEOUT_MS,
  });
  const out = new Map<number, number>();
  for (const t of r.topics) {
    for (const p of t.partitions) {
      if (p.errorCode !== 0) throw new TributaryError('INVALID_ARGUMENT', `ListOffsets ${topic}-${p.partitionIndex} failed: ${errorName(p.errorCode)}`, { errorCode: p.errorCode });
      out.set(p.partitionIndex, p.offset);
    }
  }
  for (const p of partitions) if (!out.has(p)) throw new TributaryError('INVALID_ARGUMENT', `ListOffsets: no answer for ${topic}-${p}`);
  return out;
}

/** Partitions grouped by leader node id. */
export function byLeader(leaders: BrokerNode[], partitions: number[]): Map<number, { node: BrokerNode; partitions: number[] }> {
  const out = new Map<number, { node: BrokerNode; partitions: number[] }>();
  for (const p of partitions) {
    const node = leaders[p]!;
    let g = out.get(node.nodeId);
    if (!g) out.set(node.nodeId, (g = { node, partitions: [] }));
    g.partitions.push(p);
  }
  return out;
}

export { errorName };
