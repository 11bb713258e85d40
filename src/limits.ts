/**
 * Every limit and default in one place, unit last in the name.
 *
 * Anything a client controls is bounded by one of these. Relations between them are
 * asserted at load time (bottom of file), so an edit that breaks an invariant fails fast.
 */

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

// ---- Record batches (format/) ----------------------------------------------------------

/** Largest record batch accepted anywhere (Kafka's message.max.bytes upper bound). */
export const batchBytesMax = 64 * MiB;
/** Largest number of records in one batch (guards decode loops and allocations). */
export const batchRecordsMax = 1_000_000;
/** Largest size a compressed batch may inflate to (decompression-bomb guard). */
export const inflatedBytesMax = 256 * MiB;
/** Largest key, value or header value inside one record. */
export const recordFieldBytesMax = batchBytesMax;
/** Largest number of headers on one record. */
export const recordHeadersMax = 10_000;
/**
 * Record errors listed for one rejected batch (KIP-467 `record_errors`, format/batch-rewrite.ts).
 * The whole batch fails either way; records past the list get the client's generic error.
 */
export const recordErrorsMax = 10_000;

// ---- Topic defaults (storage/topic-config.ts) -----------------------------------------

/** Kafka's default segment.bytes: 1 GiB. */
export const segmentBytesDefault = 1 * GiB;
/** Smallest segment.bytes accepted (Kafka: 14 bytes; we require room for one header). */
export const segmentBytesMin = 14;
/** Largest segment.bytes accepted: positions in the index are int32. */
export const segmentBytesMax = 2 * GiB - 1;
/** Kafka's default segment.ms: 7 days. */
export const segmentMsDefault = 7 * 24 * 3600 * 1000;
/** Kafka's default retention.ms: 7 days. -1 means unlimited. */
export const retentionMsDefault = 7 * 24 * 3600 * 1000;
/** Kafka's default retention.bytes: unlimited. */
export const retentionBytesDefault = -1;
/** Kafka's default index.interval.bytes. */
export const indexIntervalBytesDefault = 4 * KiB;
/** Kafka's default segment.index.bytes: preallocated size of each index file. */
export const indexBytesDefault = 10 * MiB;
/** Kafka's default max.message.bytes (the largest batch a topic accepts). */
export const maxMessageBytesDefault = 1 * MiB + 12;
/** Default delete.retention.ms: how long tombstones survive compaction. */
export const deleteRetentionMsDefault = 24 * 3600 * 1000;
/** Kafka's default min.cleanable.dirty.ratio: clean once more than half of the cleanable bytes are dirty. */
export const minCleanableDirtyRatioDefault = 0.5;
/** Kafka's default min.compaction.lag.ms: records are cleanable at once. */
export const minCompactionLagMsDefault = 0;
/** Kafka's default partition count for auto-created topics. */
export const partitionsDefault = 1;
/** Largest partition count for one topic. */
export const partitionsMax = 10_000;
/** Longest topic name (Kafka: 249). */
export const topicNameLengthMax = 249;

// ---- Storage engine (storage/) ----------------------------------------------------------

/** Tributary's default flush.messages: 1, i.e. an append is acknowledged once fdatasync covers it (group commit). */
export const flushMessagesTopicDefault = 1;
/** "Never" for flush.messages / flush.ms (Kafka's Long.MAX_VALUE, clamped to what a JS number holds exactly). */
export const flushNeverValue = Number.MAX_SAFE_INTEGER;
/** Tributary's default flush.ms: never on a timer (flush.messages=1 already syncs every append). */
export const flushMsTopicDefault = flushNeverValue;
/** Smallest segment.index.bytes accepted: room for two time-index entries. */
export const indexBytesMin = 24;
/** Largest segment.index.bytes accepted (index files are mapped whole). */
export const indexBytesMax = 1 * GiB;
/** Largest single memory mapping: mmap-io passes the length as a C int. */
export const mmapBytesMax = 2 * GiB - 1;
/** Bytes read per pread when the file backend walks batch headers (reads, index rebuilds). */
export const readChunkBytes = 64 * KiB;
/** Bytes read per pread when the file backend CRC-scans a segment during recovery. */
export const recoveryChunkBytes = 16 * MiB;

// ---- Idempotent producers (storage/producer-state.ts, storage/producer-id-manager.ts) -------

/** Recent batches remembered per producer for duplicate detection (Kafka: NUM_BATCHES_TO_RETAIN = 5, the client's max.in.flight limit). */
export const producerBatchesRetained = 5;
/** Kafka's default producer.id.expiration.ms: a producer silent for this long (by its last batch timestamp) is forgotten. */
export const producerIdExpirationMsDefault = 24 * 3600 * 1000;
/** Producer-state snapshot files kept per partition (the newest ones). */
export const producerSnapshotsRetained = 3;
/** Largest producer-state snapshot file read back (a corrupt length must not allocate without bound). */
export const producerSnapshotBytesMax = 256 * MiB;
/** Producer ids reserved (durably) per block by the allocator (Kafka ProducerIdManager: 1000). */
export const producerIdBlockSize = 1000;

// ---- Background work -------------------------------------------------------------------

/** How often the retention cleaner looks at every log. */
export const retentionCheckIntervalMs = 30_000;
/** How often the log cleaner looks at every compacted log (Kafka's log.cleaner.backoff.ms is 15 s). */
export const cleanerCheckIntervalMs = 15_000;
/**
 * Distinct keys one cleaning pass maps (Kafka sizes its OffsetMap by log.cleaner.dedupe.buffer.size).
 * A pass whose dirty section holds more stops at the segment that filled the map; the rest waits for the next pass.
 */
export const cleanerKeysMax = 2_000_000;
/** How often the recovery-point checkpoint is written. */
export const checkpointIntervalMs = 60_000;
/** Batches at least this large are CRC-checked on the worker pool (see docs/storage.md; measured in docs/workers.md). */
export const workerCrcBytesMin = 512 * KiB;
/** Payloads at least this large are (de)compressed on the worker pool (measured in docs/workers.md). */
export const workerCompressBytesMin = 64 * KiB;
/** Worker threads in the pool (at least 1). */
export const workerThreadsMax = 2;

// ---- Wire protocol and server ----------------------------------------------------------

/** Largest request frame a client may send (Kafka socket.request.max.bytes: 100 MiB). */
export const frameBytesMax = 100 * MiB;
/** Largest number of elements in any array of a request. */
export const arrayLengthMax = 100_000;
/** Longest string in a request. */
export const stringBytesMax = 32 * KiB;
/** Request frames at least this large are joined into reused buffers (server/frame-pool.ts). */
export const framePoolBytesMin = 64 * KiB;
/** Bytes of free frame buffers the broker keeps for reuse, over all connections. */
export const framePoolRetainedBytesMax = 64 * MiB;
/** Requests a connection may have in flight before the server stops reading from it. */
export const inflightRequestsMax = 64;
/** Open client connections. */
export const connectionsMax = 10_000;
/** Bytes of responses queued on a connection before the server stops reading from it. */
export const connectionOutputBytesMax = 64 * MiB;
/** Longest long-poll wait a Fetch may ask for. */
export const fetchMaxWaitMsMax = 30_000;
/** Largest fetch response (sum over partitions). */
export const fetchResponseBytesMax = 64 * MiB;
/** Kafka's max.incremental.fetch.session.cache.slots: incremental fetch sessions kept (KIP-227). */
export const fetchSessionCacheSlotsDefault = 1000;
/** Partitions one fetch session may hold; a full fetch with more gets no session (it stays sessionless). */
export const fetchSessionPartitionsMax = 10_000;
/** Partitions cached over all fetch sessions (each costs a few hundred bytes). */
export const fetchSessionCachePartitionsMax = 200_000;
/** Kafka's MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS: an idle fetch session older than this may be evicted. */
export const fetchSessionEvictionMs = 120_000;
/** Longest a produce with acks=-1 waits for durability. */
export const produceTimeoutMsMax = 300_000;
/** Longest metadata string committed with an offset (Kafka offset.metadata.max.bytes). */
export const offsetMetadataBytesMax = 4096;
/** Topics created in one CreateTopics request. */
export const createTopicsMax = 1000;

// ---- Load generator (src/perf/) --------------------------------------------------------

/** Largest key space of a keyed distribution (keys are written as fixed-width decimals). */
export const perfKeysMax = 100_000_000;
/** Most producer or consumer connections per leader. */
export const perfClientsMax = 1024;
/** Most pipelined requests per connection. */
export const perfInflightMax = 1024;
/** Largest record value. */
export const perfRecordBytesMax = 16 * 1024 * 1024;
/** Largest Produce request the load generator builds (Kafka's max.request.size default); at least one batch. */
export const produceRequestBytesMax = 1024 * 1024;
/** Batches built but not yet acknowledged, in bytes, before a rate-limited run gives up. */
export const producePendingBytesMax = 512 * 1024 * 1024;

// ---- Invariants, checked at load --------------------------------------------------------

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`limits.ts invariant broken: ${what}`);
}

check(segmentBytesDefault <= segmentBytesMax, 'segmentBytesDefault <= segmentBytesMax');
check(segmentBytesMax < 2 ** 31, 'segment positions fit an int32 index entry');
check(maxMessageBytesDefault <= batchBytesMax, 'maxMessageBytesDefault <= batchBytesMax');
check(batchBytesMax <= frameBytesMax, 'a batch fits in a frame');
check(produceRequestBytesMax <= frameBytesMax, 'a load-generator produce request fits in a frame');
check(batchBytesMax <= inflatedBytesMax, 'an uncompressed batch may be as large as an inflated one');
check(indexIntervalBytesDefault > 0, 'indexIntervalBytesDefault > 0');
check(indexBytesDefault % 12 === 0 || indexBytesDefault % 8 === 0, 'index size is whole entries');
check(fetchResponseBytesMax <= connectionOutputBytesMax, 'one fetch response fits the output budget');
check(workerThreadsMax >= 1, 'at least one worker thread');
check(partitionsDefault >= 1 && partitionsDefault <= partitionsMax, 'partitionsDefault in range');
check(mmapBytesMax >= segmentBytesMax, 'a whole segment fits one mapping');
check(indexBytesDefault >= indexBytesMin && indexBytesDefault <= indexBytesMax, 'indexBytesDefault in range');
check(recoveryChunkBytes >= readChunkBytes, 'recovery chunks are at least read chunks');
check(flushMessagesTopicDefault >= 1, 'flush.messages is at least 1');
check(minCleanableDirtyRatioDefault >= 0 && minCleanableDirtyRatioDefault <= 1, 'min.cleanable.dirty.ratio default in [0, 1]');
check(recordErrorsMax >= 1, 'a rejected batch lists at least one record error');
check(cleanerKeysMax >= 1, 'the cleaner maps at least one key');
check(producerBatchesRetained >= 1 && producerBatchesRetained <= 0x7fff, 'retained producer batches fit the snapshot count field');
check(producerSnapshotsRetained >= 1, 'at least one producer snapshot is kept');
check(producerIdBlockSize >= 1, 'a producer id block holds at least one id');
check(fetchSessionPartitionsMax <= fetchSessionCachePartitionsMax, 'one fetch session fits the session cache');
check(fetchSessionCacheSlotsDefault >= 0, 'fetch session cache slots are not negative');
