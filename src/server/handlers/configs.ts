/**
 * Topic and broker configs: DescribeConfigs (32), AlterConfigs (33), IncrementalAlterConfigs (44).
 *
 * Topic configs are the storage engine's (retention.ms, retention.bytes, segment.bytes,
 * cleanup.policy, flush.messages, ...): a value the topic sets itself is DYNAMIC_TOPIC_CONFIG,
 * one it inherits is DEFAULT_CONFIG. AlterConfigs replaces a topic's whole set (keys not given
 * return to their defaults), IncrementalAlterConfigs applies SET / DELETE / APPEND / SUBTRACT
 * per key. A bad key or value fails the whole resource with INVALID_CONFIG and changes nothing.
 * Broker settings are described read-only; altering them is not supported.
 */
import { TributaryError, isTributaryError } from '../../errors.js';
import type { RequestBody, ResponseInput } from '../../protocol/index.js';
import { KafkaErrorCode, kafkaErrorCode } from '../../protocol/index.js';
import type { BrokerState } from '../state.js';

/** Kafka's ConfigResource.Type. */
const RESOURCE_TOPIC = 2;
const RESOURCE_BROKER = 4;
/** Kafka's DescribeConfigsResponse.ConfigSource. */
const SOURCE_DYNAMIC_TOPIC = 1;
const SOURCE_STATIC_BROKER = 4;
const SOURCE_DEFAULT = 5;
/** IncrementalAlterConfigs operations. */
const OP_SET = 0;
const OP_DELETE = 1;
const OP_APPEND = 2;
const OP_SUBTRACT = 3;
/** Config keys whose values are comma-separated lists (APPEND / SUBTRACT apply). */
const LIST_KEYS = new Set(['cleanup.policy']);

export interface ConfigEntryOut {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  configSource: number;
}

/** A topic's effective config entries, all keys or just `keys`. */
export function configEntries(state: BrokerState, topic: string, keys: readonly string[] | null): ConfigEntryOut[] {
  const { config } = state.engine.describeTopic(topic);
  const names = keys ?? Object.keys(config).sort();
  const out: ConfigEntryOut[] = [];
  for (const name of names) {
    const e = config[name];
    if (!e) continue;
    out.push({ name, value: e.value, readOnly: false, isDefault: e.isDefault, configSource: e.isDefault ? SOURCE_DEFAULT : SOURCE_DYNAMIC_TOPIC });
  }
  return out;
}

function brokerEntries(state: BrokerState, keys: readonly string[] | null): ConfigEntryOut[] {
  const c = state.config;
  const all: Record<string, string> = {
    'broker.id': String(c.nodeId),
    'num.partitions': String(c.defaultPartitions),
    'auto.create.topics.enable': String(c.autoCreateTopics),
    'socket.request.max.bytes': String(c.frameBytesMax),
    'max.connections': String(c.connectionsMax),
    'advertised.listeners': `PLAINTEXT://${state.advertised.host}:${state.advertised.port}`,
    'log.dirs': c.dataDir,
  };
  const names = keys ?? Object.keys(all);
  return names.filter((n) => n in all).map((name) => ({ name, value: all[name]!, readOnly: true, isDefault: false, configSource: SOURCE_STATIC_BROKER }));
}

export function handleDescribeConfigs(state: BrokerState, req: RequestBody<'DescribeConfigs'>, version: number): ResponseInput<'DescribeConfigs'> {
  return {
    throttleTimeMs: 0,
    results: req.resources.map((r) => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      try {
        let entries: ConfigEntryOut[];
        if (r.resourceType === RESOURCE_TOPIC) entries = configEntries(state, r.resourceName, r.configurationKeys);
        else if (r.resourceType === RESOURCE_BROKER) {
          if (r.resourceName !== '' && r.resourceName !== String(state.config.nodeId)) {
            return { ...base, errorCode: KafkaErrorCode.INVALID_REQUEST, errorMessage: `unknown broker ${r.resourceName}`, configs: [] };
          }
          entries = brokerEntries(state, r.configurationKeys);
        } else return { ...base, errorCode: KafkaErrorCode.INVALID_REQUEST, errorMessage: `unsupported resource type ${r.resourceType}`, configs: [] };
        return {
          ...base,
          errorCode: 0,
          errorMessage: null,
          configs: entries.map((e) => ({
            name: e.name,
            value: e.value,
            readOnly: e.readOnly,
            isDefault: e.isDefault,
            configSource: e.configSource,
            isSensitive: false,
            synonyms: version >= 1 && req.includeSynonyms ? [{ name: e.name, value: e.value, source: e.configSource }] : [],
            configType: 0,
            documentation: null,
          })),
        };
      } catch (err) {
        return { ...base, errorCode: kafkaErrorCode(err), errorMessage: err instanceof Error ? err.message : String(err), configs: [] };
      }
    }),
  };
}

function alterError(err: unknown): { errorCode: number; errorMessage: string } {
  const code = isTributaryError(err, 'INVALID_CONFIG') ? KafkaErrorCode.INVALID_CONFIG : kafkaErrorCode(err);
  return { errorCode: code, errorMessage: err instanceof Error ? err.message : String(err) };
}

function notTopic(resourceType: number): { errorCode: number; errorMessage: string } | null {
  if (resourceType === RESOURCE_TOPIC) return null;
  if (resourceType === RESOURCE_BROKER) return { errorCode: KafkaErrorCode.INVALID_REQUEST, errorMessage: 'broker configs are read-only here; set them on the command line' };
  return { errorCode: KafkaErrorCode.INVALID_REQUEST, errorMessage: `unsupported resource type ${resourceType}` };
}

type ConfigMap = Record<string, { value: string; isDefault: boolean }>;
type Change = { set: Record<string, string>; remove: string[] };

/**
 * The loop both alter APIs share: per resource, refuse what is not a topic, compute the change
 * from the topic's current config, then apply it (or only validate it), answering per resource.
 */
async function alterEach<R extends { resourceType: number; resourceName: string }>(
  state: BrokerState,
  resources: R[],
  onlyValidate: boolean,
  change: (r: R, config: ConfigMap) => Change,
): Promise<{ resourceType: number; resourceName: string; errorCode: number; errorMessage: string | null }[]> {
  const responses = [];
  for (const r of resources) {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName };
    const bad = notTopic(r.resourceType);
    if (bad) {
      responses.push({ ...base, ...bad });
      continue;
    }
    try {
      const { set, remove } = change(r, state.engine.describeTopic(r.resourceName).config);
      if (onlyValidate) state.engine.validateTopicConfig(set);
      else await state.engine.alterTopicConfig(r.resourceName, set, remove);
      responses.push({ ...base, errorCode: 0, errorMessage: null });
    } catch (err) {
      responses.push({ ...base, ...alterError(err) });
    }
  }
  return responses;
}

export async function handleAlterConfigs(state: BrokerState, req: RequestBody<'AlterConfigs'>): Promise<ResponseInput<'AlterConfigs'>> {
  const responses = await alterEach(state, req.resources, req.validateOnly, (r, config) => {
    const set: Record<string, string> = {};
    for (const c of r.configs) if (c.value !== null) set[c.name] = c.value;
    // AlterConfigs replaces the whole set: everything not named returns to its default.
    return { set, remove: Object.keys(config).filter((k) => !(k in set) && !config[k]!.isDefault) };
  });
  return { throttleTimeMs: 0, responses };
}

export async function handleIncrementalAlterConfigs(state: BrokerState, req: RequestBody<'IncrementalAlterConfigs'>): Promise<ResponseInput<'IncrementalAlterConfigs'>> {
  const responses = await alterEach(state, req.resources, req.validateOnly, (r, config) => {
    const set: Record<string, string> = {};
    const remove: string[] = [];
    for (const c of r.configs) {
      const current = (set[c.name] ?? config[c.name]?.value ?? '').split(',').filter((s) => s !== '');
      switch (c.configOperation) {
        case OP_SET:
          if (c.value === null) throw invalid(`null value for ${c.name}`);
          set[c.name] = c.value;
          break;
        case OP_DELETE:
          remove.push(c.name);
          break;
        case OP_APPEND:
        case OP_SUBTRACT: {
          if (!LIST_KEYS.has(c.name)) throw invalid(`${c.name} is not a list config; APPEND/SUBTRACT do not apply`);
          const items = (c.value ?? '').split(',').filter((s) => s !== '');
          const next = c.configOperation === OP_APPEND ? [...current, ...items.filter((i) => !current.includes(i))] : current.filter((i) => !items.includes(i));
          set[c.name] = next.join(',');
          break;
        }
        default:
          throw invalid(`unknown config operation ${c.configOperation}`);
      }
    }
    return { set, remove };
  });
  return { throttleTimeMs: 0, responses };
}

function invalid(message: string): TributaryError {
  return new TributaryError('INVALID_CONFIG', message);
}
