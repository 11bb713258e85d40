/**
 * Config entries as DescribeConfigs (32) and CreateTopics (19, v5+) describe them: topic
 * entries from the storage engine's config table, broker entries from the broker's settings
 * under Kafka's names.
 *
 * Topic entries (Kafka ConfigHelper.createTopicConfigEntry): source DYNAMIC_TOPIC_CONFIG when
 * the topic sets the key, STATIC_BROKER_CONFIG when the engine-wide default
 * (BrokerOptions.topicDefaults, Kafka's log.* broker settings) supplies it, DEFAULT_CONFIG
 * otherwise. Synonyms, highest priority first: the topic's own value, then the broker setting
 * (named as Kafka names it, e.g. log.retention.ms for retention.ms) at STATIC_BROKER_CONFIG
 * when set and at DEFAULT_CONFIG with the built-in default. Never sensitive, never read-only.
 *
 * Broker entries: this broker's settings (node id, advertised listener, data directory, limits, group
 * coordinator settings) and every topic default under its broker name. All read-only: broker
 * settings come from the command line / startBroker options and cannot be altered over the wire.
 */
import type { ConfigEntry, ConfigType, TopicConfigSpec } from '../storage/index.js';
import { TOPIC_CONFIGS } from '../storage/index.js';
import type { BrokerState } from './state.js';

/** Kafka's DescribeConfigsResponse.ConfigSource ids. */
export const ConfigSourceId = { DYNAMIC_TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 } as const;
/** Kafka's DescribeConfigsResponse.ConfigType ids. */
const CONFIG_TYPE_IDS: Record<ConfigType, number> = { BOOLEAN: 1, STRING: 2, INT: 3, LONG: 5, DOUBLE: 6, LIST: 7 };

export interface SynonymOut {
  name: string;
  value: string | null;
  source: number;
}

export interface ConfigEntryOut {
  name: string;
  value: string | null;
  readOnly: boolean;
  /** v0 only: clients read false as "set on this resource" (TOPIC_CONFIG / STATIC_BROKER_CONFIG). */
  isDefault: boolean;
  configSource: number;
  isSensitive: boolean;
  /** Every source of the value, highest priority first (returned when synonyms are asked for). */
  synonyms: SynonymOut[];
  configType: number;
  documentation: string;
}

const SOURCE: Record<ConfigEntry['source'], number> = {
  topic: ConfigSourceId.DYNAMIC_TOPIC_CONFIG,
  engine: ConfigSourceId.STATIC_BROKER_CONFIG,
  default: ConfigSourceId.DEFAULT_CONFIG,
};

function topicEntry(spec: TopicConfigSpec, e: ConfigEntry, engineDefault: ConfigEntry | undefined): ConfigEntryOut {
  const synonyms: SynonymOut[] = [];
  if (e.source === 'topic') synonyms.push({ name: spec.name, value: e.value, source: ConfigSourceId.DYNAMIC_TOPIC_CONFIG });
  if (spec.brokerSynonym !== null) {
    if (engineDefault?.source === 'engine') synonyms.push({ name: spec.brokerSynonym, value: engineDefault.value, source: ConfigSourceId.STATIC_BROKER_CONFIG });
    synonyms.push({ name: spec.brokerSynonym, value: spec.default, source: ConfigSourceId.DEFAULT_CONFIG });
  }
  return {
    name: spec.name,
    value: e.value,
    readOnly: false,
    isDefault: e.source !== 'topic',
    configSource: SOURCE[e.source],
    isSensitive: false,
    synonyms,
    configType: CONFIG_TYPE_IDS[spec.type],
    documentation: `${spec.doc} Tributary: ${spec.note}`,
  };
}

/** Entries for a topic's effective config `config` (from describeTopic / checkNewTopic), all keys or only `keys`. */
export function topicConfigEntries(state: BrokerState, config: Record<string, ConfigEntry>, keys: readonly string[] | null): ConfigEntryOut[] {
  const defaults = state.engine.describeTopicDefaults();
  const wanted = keys === null ? null : new Set(keys);
  const out: ConfigEntryOut[] = [];
  for (const spec of TOPIC_CONFIGS) {
    if (wanted !== null && !wanted.has(spec.name)) continue;
    const e = config[spec.name];
    if (e) out.push(topicEntry(spec, e, defaults[spec.name]));
  }
  return out;
}

interface BrokerSetting {
  name: string;
  type: ConfigType;
  value: string;
  doc: string;
  /** DEFAULT_CONFIG for topic defaults nobody set; STATIC_BROKER_CONFIG otherwise. */
  source: number;
}

function brokerSettings(state: BrokerState): BrokerSetting[] {
  const c = state.config;
  const own = (name: string, type: ConfigType, value: string | number | boolean, doc: string): BrokerSetting => ({
    name, type, value: String(value), doc, source: ConfigSourceId.STATIC_BROKER_CONFIG,
  });
  const settings: BrokerSetting[] = [
    own('broker.id', 'INT', c.nodeId, 'This broker\'s id.'),
    own('node.id', 'INT', c.nodeId, 'This node\'s id.'),
    own('advertised.listeners', 'STRING', `PLAINTEXT://${state.advertised.host}:${state.advertised.port}`, 'The address handed to clients in Metadata.'),
    own('log.dirs', 'STRING', c.dataDir, 'The data directory.'),
    own('num.partitions', 'INT', c.defaultPartitions, 'Partitions of an auto-created topic.'),
    own('default.replication.factor', 'INT', 1, 'Replication factor of new topics: one broker holds every replica.'),
    own('auto.create.topics.enable', 'BOOLEAN', c.autoCreateTopics, 'Whether Metadata and Produce create unknown topics.'),
    own('socket.request.max.bytes', 'INT', c.frameBytesMax, 'Largest request frame.'),
    own('max.connections', 'INT', c.connectionsMax, 'Open client connections.'),
    own('group.min.session.timeout.ms', 'INT', c.groups.minSessionTimeoutMs, 'Smallest consumer session timeout accepted.'),
    own('group.max.session.timeout.ms', 'INT', c.groups.maxSessionTimeoutMs, 'Largest consumer session timeout accepted.'),
    own('group.initial.rebalance.delay.ms', 'INT', c.groups.initialRebalanceDelayMs, 'How long the first join of an empty group waits for more members.'),
    own('group.max.size', 'INT', c.groups.maxGroupSize, 'Largest number of members in a group.'),
  ];
  const defaults = state.engine.describeTopicDefaults();
  const seen = new Set(settings.map((s) => s.name));
  for (const spec of TOPIC_CONFIGS) {
    const name = spec.brokerSynonym;
    if (name === null || seen.has(name)) continue;
    seen.add(name);
    const e = defaults[spec.name]!;
    settings.push({
      name,
      type: spec.type,
      value: e.value,
      doc: `Default ${spec.name} of topics that do not set it. Tributary: ${spec.note}`,
      source: e.source === 'engine' ? ConfigSourceId.STATIC_BROKER_CONFIG : ConfigSourceId.DEFAULT_CONFIG,
    });
  }
  return settings.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The broker's settings as config entries, all or only `keys`. */
export function brokerConfigEntries(state: BrokerState, keys: readonly string[] | null): ConfigEntryOut[] {
  const wanted = keys === null ? null : new Set(keys);
  return brokerSettings(state)
    .filter((s) => wanted === null || wanted.has(s.name))
    .map((s) => ({
      name: s.name,
      value: s.value,
      readOnly: true,
      isDefault: s.source === ConfigSourceId.DEFAULT_CONFIG,
      configSource: s.source,
      isSensitive: false,
      synonyms: [{ name: s.name, value: s.value, source: s.source }],
      configType: CONFIG_TYPE_IDS[s.type],
      documentation: s.doc,
    }));
}
