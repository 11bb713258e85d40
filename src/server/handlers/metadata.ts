/**
 * Metadata (key 3): the broker list (this one, at its advertised address), and each asked-for
 * topic's partitions, all led by this broker. Unknown topics are created when auto-creation is
 * on and the request allows it (v4+ `allowAutoTopicCreation`); a null topic list (v1+) or an
 * empty one in v0 means every topic.
 */
import { isTributaryError } from '../../errors.js';
import type { RequestBody, ResponseInput } from '../../protocol/index.js';
import { KafkaErrorCode, kafkaErrorCode } from '../../protocol/index.js';
import type { BrokerState } from '../state.js';
import { ensureTopic, isInternalTopic } from '../state.js';

/** Kafka's "authorized operations not requested" sentinel. */
const OPERATIONS_UNSET = -2147483648;

type TopicOut = NonNullable<ResponseInput<'Metadata'>['topics']>[number];

export function describeTopicMetadata(state: BrokerState, name: string): TopicOut {
  const d = state.engine.describeTopic(name);
  const node = state.config.nodeId;
  return {
    errorCode: 0,
    name,
    topicId: d.topicId,
    isInternal: isInternalTopic(name),
    partitions: d.partitions.map((p) => ({
      errorCode: 0,
      partitionIndex: p.partition,
      leaderId: node,
      leaderEpoch: 0,
      replicaNodes: [node],
      isrNodes: [node],
      offlineReplicas: [],
    })),
    topicAuthorizedOperations: OPERATIONS_UNSET,
  };
}

export async function handleMetadata(state: BrokerState, req: RequestBody<'Metadata'>, version: number): Promise<ResponseInput<'Metadata'>> {
  const all = req.topics === null || (version === 0 && req.topics.length === 0);
  const wanted: { name: string | null; topicId: string }[] = all ? state.engine.listTopics().map((name) => ({ name, topicId: '' })) : req.topics!;
  const allowCreate = !all && req.allowAutoTopicCreation;
  const topics: TopicOut[] = [];
  for (const want of wanted) {
    // v10+ may name a topic by id alone.
    const name = want.name ?? state.engine.topicNameById(want.topicId);
    if (name === undefined) {
      topics.push({ errorCode: KafkaErrorCode.UNKNOWN_TOPIC_ID, name: null, topicId: want.topicId, isInternal: false, partitions: [], topicAuthorizedOperations: OPERATIONS_UNSET });
      continue;
    }
    try {
      if (!(await ensureTopic(state, name, allowCreate))) {
        topics.push({ errorCode: KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, isInternal: false, partitions: [], topicAuthorizedOperations: OPERATIONS_UNSET });
        continue;
      }
      topics.push(describeTopicMetadata(state, name));
    } catch (err) {
      const code = isTributaryError(err, 'INVALID_TOPIC') ? KafkaErrorCode.INVALID_TOPIC_EXCEPTION : kafkaErrorCode(err);
      topics.push({ errorCode: code, name, isInternal: false, partitions: [], topicAuthorizedOperations: OPERATIONS_UNSET });
    }
  }
  return {
    throttleTimeMs: 0,
    brokers: [{ nodeId: state.config.nodeId, host: state.advertised.host, port: state.advertised.port, rack: null }],
    clusterId: state.clusterId,
    controllerId: state.config.nodeId,
    topics,
    clusterAuthorizedOperations: OPERATIONS_UNSET,
  };
}
