/**
 * Tributary's package entry: the broker, the embeddable storage engine, the record-batch
 * format, the Kafka protocol client, and the typed errors. Narrower entry points:
 * `tributary/storage` (the storage engine alone) and `tributary/format` (pure format code).
 */
export { startBroker } from './server/broker.js';
export type { Broker, BrokerOptions } from './server/broker.js';
export { StorageEngine } from './storage/index.js';
export type { StorageEngineOptions, AppendResult, ReadResult, TopicDescription } from './storage/index.js';
export { encodeBatch, decodeBatch, DeflatedBatch } from './format/index.js';
export type { BatchInput, RecordInput, InflatedBatch, DecodedRecord } from './format/index.js';
export { KafkaConnection } from './client/kafka-connection.js';
export { TributaryError, isTributaryError, ERROR_CODES } from './errors.js';
export type { ErrorCode } from './errors.js';
