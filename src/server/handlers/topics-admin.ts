/**
 * Topic administration: CreateTopics (19), DeleteTopics (20), CreatePartitions (37) and
 * DeleteRecords (21), each answered per topic / partition with Kafka's error codes.
 *
 * One broker holds every replica, so a replication factor other than -1 (default) or 1 is
 * INVALID_REPLICATION_FACTOR, and manual replica assignments must name this broker only.
 * validateOnly runs every check a real creation makes (name, collisions, partitions, each
 * config and the rules between them: the engine's one config validator) and answers with the
 * config the topic would have.
 */
import { TributaryError, isTributaryError } from '../../errors.js';
import { createTopicsMax, partitionsMax } from '../../limits.js';
import type { RequestBody, ResponseInput } from '../../protocol/index.js';
import { KafkaErrorCode, kafkaErrorCode } from '../../protocol/index.js';
import type { ConfigEntry } from '../../storage/index.js';
import { validateTopicName } from '../../storage/index.js';
import type { BrokerState } from '../state.js';
import { isInternalTopic } from '../state.js';
import { topicConfigEntries } from '../config-entries.js';

interface Failure {
  errorCode: number;
  errorMessage: string;
}

function failure(err: unknown): Failure {
  if (isTributaryError(err)) {
    const map: Partial<Record<string, number>> = {
      INVALID_TOPIC: KafkaErrorCode.INVALID_TOPIC_EXCEPTION,
      TOPIC_EXISTS: KafkaErrorCode.TOPIC_ALREADY_EXISTS,
      INVALID_PARTITIONS: KafkaErrorCode.INVALID_PARTITIONS,
      INVALID_CONFIG: KafkaErrorCode.INVALID_CONFIG,
    };
    return { errorCode: map[err.code] ?? kafkaErrorCode(err), errorMessage: err.message };
  }
  return { errorCode: KafkaErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: err instanceof Error ? err.message : String(err) };
}

function fail(code: number, message: string): Failure {
  return { errorCode: code, errorMessage: message };
}

export async function handleCreateTopics(state: BrokerState, req: RequestBody<'CreateTopics'>): Promise<ResponseInput<'CreateTopics'>> {
  const counts = new Map<string, number>();
  for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  const tooMany = req.topics.length > createTopicsMax;
  const topics = [];
  for (const t of req.topics) {
    const numPartitions = t.numPartitions === -1 ? state.config.defaultPartitions : t.numPartitions;
    let result: Failure | null = null;
    let described: Record<string, ConfigEntry> = {};
    try {
      if (tooMany) result = fail(KafkaErrorCode.POLICY_VIOLATION, `at most ${createTopicsMax} topics per request`);
      else if ((counts.get(t.name) ?? 0) > 1) result = fail(KafkaErrorCode.INVALID_REQUEST, `topic ${t.name} appears more than once in the request`);
      else if (t.replicationFactor !== -1 && t.replicationFactor !== 1) {
        result = fail(KafkaErrorCode.INVALID_REPLICATION_FACTOR, `replication factor ${t.replicationFactor} is larger than the 1 available broker`);
      } else if (t.assignments.length > 0 && t.assignments.some((a) => a.brokerIds.some((b) => b !== state.config.nodeId))) {
        result = fail(KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT, `replica assignments may only name broker ${state.config.nodeId}`);
      } else {
        const parts = t.assignments.length > 0 ? t.assignments.length : numPartitions;
        if (!Number.isInteger(parts) || parts < 1 || parts > partitionsMax) {
          result = fail(KafkaErrorCode.INVALID_PARTITIONS, `number of partitions must be between 1 and ${partitionsMax}, got ${parts}`);
        } else {
          validateTopicName(t.name);
          if (isInternalTopic(t.name)) throw new TributaryError('INVALID_TOPIC', `${t.name} is reserved for internal topics`);
          const config: Record<string, string> = {};
          for (const c of t.configs) {
            if (c.value === null) continue;
            config[c.name] = c.value;
          }
          if (req.validateOnly) {
            described = state.engine.checkNewTopic(t.name, { partitions: parts, config });
          } else {
            await state.engine.createTopic(t.name, { partitions: parts, config });
            described = state.engine.describeTopic(t.name).config;
            state.log.info({ topic: t.name, partitions: parts }, 'topic created');
          }
        }
      }
    } catch (err) {
      result = failure(err);
    }
    if (result) {
      topics.push({ name: t.name, errorCode: result.errorCode, errorMessage: result.errorMessage, topicConfigErrorCode: 0, numPartitions: -1, replicationFactor: -1, configs: null });
      continue;
    }
    const created = !req.validateOnly;
    topics.push({
      name: t.name,
      topicId: created ? state.engine.topicId(t.name) : undefined,
      errorCode: 0,
      errorMessage: null,
      topicConfigErrorCode: 0,
      numPartitions: t.assignments.length > 0 ? t.assignments.length : numPartitions,
      replicationFactor: 1,
      configs: topicConfigEntries(state, described, null).map((c) => ({ name: c.name, value: c.value, readOnly: c.readOnly, configSource: c.configSource, isSensitive: c.isSensitive })),
    });
  }
  return { throttleTimeMs: 0, topics };
}

export async function handleDeleteTopics(state: BrokerState, req: RequestBody<'DeleteTopics'>, version: number): Promise<ResponseInput<'DeleteTopics'>> {
  const wanted = version >= 6 ? req.topics.map((t) => ({ name: t.name, topicId: t.topicId })) : req.topicNames.map((name) => ({ name, topicId: undefined as string | undefined }));
  const responses = [];
  for (const w of wanted) {
    let name = w.name;
    if (name === null || name === undefined) name = (w.topicId !== undefined ? state.engine.topicNameById(w.topicId) : undefined) ?? null;
    if (name === null) {
      responses.push({ name: null, topicId: w.topicId, errorCode: KafkaErrorCode.UNKNOWN_TOPIC_ID, errorMessage: 'unknown topic id' });
      continue;
    }
    try {
      if (isInternalTopic(name)) throw new TributaryError('INVALID_TOPIC', `${name} is an internal topic`);
      const topicId = state.engine.hasTopic(name) ? state.engine.topicId(name) : w.topicId;
      await state.engine.deleteTopic(name);
      state.offsets.forgetTopic(name);
      state.log.info({ topic: name }, 'topic deleted');
      responses.push({ name, topicId, errorCode: 0, errorMessage: null });
    } catch (err) {
      const f = failure(err);
      responses.push({ name, topicId: w.topicId, errorCode: f.errorCode === KafkaErrorCode.INVALID_TOPIC_EXCEPTION && isInternalTopic(name) ? KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED : f.errorCode, errorMessage: f.errorMessage });
    }
  }
  return { throttleTimeMs: 0, responses };
}

export async function handleCreatePartitions(state: BrokerState, req: RequestBody<'CreatePartitions'>): Promise<ResponseInput<'CreatePartitions'>> {
  const results = [];
  for (const t of req.topics) {
    try {
      if (t.assignments !== null && t.assignments.some((a) => a.brokerIds.some((b) => b !== state.config.nodeId))) {
        results.push({ name: t.name, ...fail(KafkaErrorCode.INVALID_REPLICA_ASSIGNMENT, `replica assignments may only name broker ${state.config.nodeId}`) });
        continue;
      }
      const current = state.engine.describeTopic(t.name).partitions.length;
      if (t.count <= current) {
        results.push({ name: t.name, ...fail(KafkaErrorCode.INVALID_PARTITIONS, `topic ${t.name} already has ${current} partitions; the new count must be larger`) });
        continue;
      }
      if (t.count > partitionsMax) {
        results.push({ name: t.name, ...fail(KafkaErrorCode.INVALID_PARTITIONS, `at most ${partitionsMax} partitions`) });
        continue;
      }
      if (!req.validateOnly) await state.engine.createPartitions(t.name, t.count);
      results.push({ name: t.name, errorCode: 0, errorMessage: null });
    } catch (err) {
      results.push({ name: t.name, ...failure(err) });
    }
  }
  return { throttleTimeMs: 0, results };
}

export async function handleDeleteRecords(state: BrokerState, req: RequestBody<'DeleteRecords'>): Promise<ResponseInput<'DeleteRecords'>> {
  const topics = [];
  for (const t of req.topics) {
    const partitions = [];
    for (const p of t.partitions) {
      try {
        const lowWatermark = await state.engine.deleteRecordsBefore(t.name, p.partitionIndex, p.offset);
        partitions.push({ partitionIndex: p.partitionIndex, lowWatermark, errorCode: 0 });
      } catch (err) {
        partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: kafkaErrorCode(err) });
      }
    }
    topics.push({ name: t.name, partitions });
  }
  return { throttleTimeMs: 0, topics };
}
