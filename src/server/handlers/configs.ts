/**
 * Topic and broker configs: DescribeConfigs (32), AlterConfigs (33), IncrementalAlterConfigs (44).
 *
 * Topic configs are the storage engine's table (storage/topic-config.ts, docs/configs.md):
 * every key Kafka accepts, each validated as Kafka validates it. Both alter APIs go through the
 * engine's one validator (alterTopicConfig, with validateOnly when asked), so a bad key or
 * value, or a broken rule between keys, fails the whole resource with INVALID_CONFIG and a
 * message naming the key, and changes nothing. AlterConfigs replaces the topic's whole set
 * (keys not given return to their defaults); IncrementalAlterConfigs applies SET / DELETE /
 * APPEND / SUBTRACT per key, APPEND and SUBTRACT only on LIST keys (cleanup.policy and the
 * throttled-replica lists), as Kafka's ConfigAdminManager does. Changes apply live.
 *
 * Broker configs are described (config-entries.ts) and read-only: altering them is
 * INVALID_REQUEST. An unknown topic is UNKNOWN_TOPIC_OR_PARTITION.
 */
import { TributaryError, isTributaryError } from '../../errors.js';
import type { RequestBody, ResponseInput } from '../../protocol/index.js';
import { KafkaErrorCode, kafkaErrorCode } from '../../protocol/index.js';
import { topicConfigSpec } from '../../storage/index.js';
import type { ConfigEntryOut } from '../config-entries.js';
import { brokerConfigEntries, topicConfigEntries } from '../config-entries.js';
import type { BrokerState } from '../state.js';

/** Kafka's ConfigResource.Type. */
const RESOURCE_TOPIC = 2;
const RESOURCE_BROKER = 4;
/** IncrementalAlterConfigs operations. */
const OP_SET = 0;
const OP_DELETE = 1;
const OP_APPEND = 2;
const OP_SUBTRACT = 3;

class RequestError extends Error {}

/** The entries a broker resource describes: `""` names the cluster-wide dynamic defaults, which Tributary has none of. */
function brokerEntries(state: BrokerState, name: string, keys: readonly string[] | null): ConfigEntryOut[] {
  if (name === '') return [];
  if (!/^-?\d+$/.test(name)) throw new RequestError(`Broker id must be an integer, but it is: ${name}`);
  if (Number(name) !== state.config.nodeId) throw new RequestError(`Unexpected broker id, expected ${state.config.nodeId} or empty string, but received ${name}`);
  return brokerConfigEntries(state, keys);
}

export function handleDescribeConfigs(state: BrokerState, req: RequestBody<'DescribeConfigs'>, version: number): ResponseInput<'DescribeConfigs'> {
  const synonyms = version >= 1 && req.includeSynonyms;
  const documentation = version >= 3 && req.includeDocumentation;
  return {
    throttleTimeMs: 0,
    results: req.resources.map((r) => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      try {
        let entries: ConfigEntryOut[];
        if (r.resourceType === RESOURCE_TOPIC) entries = topicConfigEntries(state, state.engine.describeTopic(r.resourceName).config, r.configurationKeys);
        else if (r.resourceType === RESOURCE_BROKER) entries = brokerEntries(state, r.resourceName, r.configurationKeys);
        else throw new RequestError(`Unsupported resource type: ${r.resourceType}`);
        return {
          ...base,
          errorCode: 0,
          errorMessage: null,
          configs: entries.map((e) => ({
            ...e,
            synonyms: synonyms ? e.synonyms : [],
            documentation: documentation ? e.documentation : null,
          })),
        };
      } catch (err) {
        return { ...base, ...errorOf(err), configs: [] };
      }
    }),
  };
}

function errorOf(err: unknown): { errorCode: number; errorMessage: string } {
  if (err instanceof RequestError) return { errorCode: KafkaErrorCode.INVALID_REQUEST, errorMessage: err.message };
  const code = isTributaryError(err, 'INVALID_CONFIG') ? KafkaErrorCode.INVALID_CONFIG : kafkaErrorCode(err);
  return { errorCode: code, errorMessage: err instanceof Error ? err.message : String(err) };
}

function notTopic(resourceType: number): RequestError | null {
  if (resourceType === RESOURCE_TOPIC) return null;
  if (resourceType === RESOURCE_BROKER) return new RequestError('broker configs are read-only here; set them on the command line');
  return new RequestError(`Unsupported resource type: ${resourceType}`);
}

type CurrentConfig = Record<string, { value: string; source: string }>;
type Change = { set: Record<string, string>; remove: string[] };

/**
 * The loop both alter APIs share: per resource, refuse what is not a topic, compute the change
 * from the topic's current config, then apply it (or only validate it) through the engine's
 * one validator, answering per resource.
 */
async function alterEach<R extends { resourceType: number; resourceName: string }>(
  state: BrokerState,
  resources: R[],
  validateOnly: boolean,
  change: (r: R, config: CurrentConfig) => Change,
): Promise<{ resourceType: number; resourceName: string; errorCode: number; errorMessage: string | null }[]> {
  const responses = [];
  for (const r of resources) {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName };
    try {
      const bad = notTopic(r.resourceType);
      if (bad) throw bad;
      const { set, remove } = change(r, state.engine.describeTopic(r.resourceName).config);
      await state.engine.alterTopicConfig(r.resourceName, set, remove, { validateOnly });
      if (!validateOnly) state.log.info({ topic: r.resourceName, set, remove }, 'topic config altered');
      responses.push({ ...base, errorCode: 0, errorMessage: null });
    } catch (err) {
      responses.push({ ...base, ...errorOf(err) });
    }
  }
  return responses;
}

export async function handleAlterConfigs(state: BrokerState, req: RequestBody<'AlterConfigs'>): Promise<ResponseInput<'AlterConfigs'>> {
  const responses = await alterEach(state, req.resources, req.validateOnly, (r, config) => {
    const set: Record<string, string> = {};
    for (const c of r.configs) if (c.value !== null) set[c.name] = c.value;
    // AlterConfigs replaces the whole set: everything the topic set and this request does not name returns to its default.
    return { set, remove: Object.keys(config).filter((k) => !(k in set) && config[k]!.source === 'topic') };
  });
  return { throttleTimeMs: 0, responses };
}

function items(value: string | null): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export async function handleIncrementalAlterConfigs(state: BrokerState, req: RequestBody<'IncrementalAlterConfigs'>): Promise<ResponseInput<'IncrementalAlterConfigs'>> {
  const responses = await alterEach(state, req.resources, req.validateOnly, (r, config) => {
    const names = r.configs.map((c) => c.name);
    if (new Set(names).size !== names.length) throw new RequestError(`Error due to duplicate config keys: ${names.filter((n, i) => names.indexOf(n) !== i).join(', ')}`);
    const set: Record<string, string> = {};
    const remove: string[] = [];
    for (const c of r.configs) {
      switch (c.configOperation) {
        case OP_SET:
          if (c.value === null) throw invalid(`Null value not supported for config key: ${c.name}`);
          set[c.name] = c.value;
          break;
        case OP_DELETE:
          remove.push(c.name);
          break;
        case OP_APPEND:
        case OP_SUBTRACT: {
          const spec = topicConfigSpec(c.name);
          if (!spec) throw invalid(`Unknown topic config name: ${c.name}`);
          const verb = c.configOperation === OP_APPEND ? 'append' : 'subtract';
          if (spec.type !== 'LIST') throw invalid(`Config value ${verb} is not allowed for config key: ${c.name}`);
          const current = items(config[c.name]?.value ?? spec.default);
          const given = items(c.value);
          const next = c.configOperation === OP_APPEND ? [...current, ...given.filter((i) => !current.includes(i))] : current.filter((i) => !given.includes(i));
          set[c.name] = next.join(',');
          break;
        }
        default:
          throw new RequestError(`Unknown config operation ${c.configOperation} for config key: ${c.name}`);
      }
    }
    return { set, remove };
  });
  return { throttleTimeMs: 0, responses };
}

function invalid(message: string): TributaryError {
  return new TributaryError('INVALID_CONFIG', message);
}
