/**
 * One load-generating consumer: a connection per leader of its assigned partitions, one
 * Fetch in flight per connection (the next fetch offset depends on the last answer, as in
 * every Kafka consumer), no consumer group (offsets are tracked in memory).
 *
 * Fetch responses are read only as far as needed: records and bytes are counted from the
 * RecordBatch headers (DeflatedBatch: recordCount, lastOffsetDelta, batch size) without
 * touching the records. Only e2e walks the records of a batch (inflating it if compressed),
 * reading each record's offset delta and the first 8 bytes of its value, the send time the
 * producer wrote there (see producer.ts), to record receipt time - send time per record.
 */
import { ByteReader, DeflatedBatch, MAGIC_OFFSET, MAGIC_V2, decompress } from '../format/index.js';
import { TributaryError } from '../errors.js';
import { FramePool, kafkaErrorByCode } from '../protocol/index.js';
import { nowUs } from './clock.js';
import type { NegotiatedConnection, TopicLayout } from './cluster.js';
import { byLeader, connectNode, errorName } from './cluster.js';
import { LatencyHistogram } from './histogram.js';
import type { PerfOptions } from './options.js';

/** Each connection reads into one reused buffer of this size (KafkaConnection readBufferBytes). */
const CONSUMER_READ_BUFFER_BYTES = 1024 * 1024;
/** Pause after a retriable partition error before fetching again. */
const RETRY_BACKOFF_MS = 100;
/** e2e: send times further than this from the run's time span are not ours and are skipped. */
const E2E_PLAUSIBLE_SKEW_US = 60_000_000;

export interface ConsumerSpec {
  index: number;
  opts: PerfOptions;
  layout: TopicLayout;
  partitions: number[];
  /** Where each assigned partition starts. */
  startOffsets: Map<number, number>;
  /** Stop each partition once it reaches this offset (null: no such end). */
  endOffsets: Map<number, number> | null;
  measureStartUs: number;
  /** e2e: decode per-record send times into `e2e`. */
  e2e: boolean;
  /** Earliest plausible send time (e2e sanity check). */
  runStartUs: number;
  /** Called after each fetch response that carried records. */
  onRecords: () => void;
}

interface PartState {
  partition: number;
  offset: number;
  end: number;
}

interface Link {
  nc: NegotiatedConnection;
  parts: PartState[];
}

export interface ConsumerStats {
  /** Measured (received after warmup) records and their batch bytes. */
  records: number;
  bytes: number;
  fetches: number;
  emptyFetches: number;
  warmupRecords: number;
  /** Retriable partition errors, by Kafka error name. */
  errors: Record<string, number>;
  /** e2e: records whose value carried no plausible send time. */
  foreign: number;
  lastRecordUs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class ConsumerWorker {
  readonly fetchLatency = new LatencyHistogram();
  readonly e2eLatency: LatencyHistogram | null;
  readonly stats: ConsumerStats = { records: 0, bytes: 0, fetches: 0, emptyFetches: 0, warmupRecords: 0, errors: {}, foreign: 0, lastRecordUs: 0 };
  /** Records received per partition, warmup included. */
  readonly receivedPerPartition: number[];
  /** Records received, warmup included (progress, stop conditions). */
  received = 0;
  bytesReceived = 0;

  private readonly spec: ConsumerSpec;
  private readonly o: PerfOptions;
  private readonly links: Link[] = [];
  /** Fetch responses are joined into reused buffers, given back once counted. */
  private readonly framePool = new FramePool();
  private stopped = false;

  constructor(spec: ConsumerSpec) {
    this.spec = spec;
    this.o = spec.opts;
    this.e2eLatency = spec.e2e ? new LatencyHistogram() : null;
    this.receivedPerPartition = new Array<number>(spec.layout.leaders.length).fill(0);
  }

  async connect(): Promise<void> {
    try {
      for (const { node, partitions } of byLeader(this.spec.layout.leaders, this.spec.partitions).values()) {
        const nc = await connectNode(node, this.o.clientId, { framePool: this.framePool, readBufferBytes: CONSUMER_READ_BUFFER_BYTES });
        this.links.push({
          nc,
          parts: partitions.map((p) => ({ partition: p, offset: this.spec.startOffsets.get(p) ?? 0, end: this.spec.endOffsets?.get(p) ?? Infinity })),
        });
      }
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** Fixes the measured window's start (and the run's start) once every client is connected. */
  setMeasureStart(measureStartUs: number, runStartUs: number): void {
    this.spec.measureStartUs = measureStartUs;
    this.spec.runStartUs = runStartUs;
  }

  /** Fetches until stopped (or, with end offsets, until every partition reached its end). */
  async run(): Promise<void> {
    await Promise.all(this.links.map((l) => this.loop(l)));
  }

  /** Ends the run: in-flight long polls are cut by closing the connections. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const l of this.links) l.nc.conn.close();
  }

  close(): void {
    this.stop();
  }

  private async loop(link: Link): Promise<void> {
    const o = this.o;
    const topic = this.spec.layout.topic;
    while (!this.stopped) {
      const active = link.parts.filter((p) => p.offset < p.end);
      if (active.length === 0) return;
      const sendUs = nowUs();
      let framed;
      try {
        framed = await link.nc.conn.requestFramed('Fetch', link.nc.versions.Fetch, {
          replicaId: -1,
          maxWaitMs: o.fetchMaxWaitMs,
          minBytes: o.fetchMinBytes,
          maxBytes: o.fetchMaxBytes,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [
            {
              topic,
              partitions: active.map((p) => ({
                partition: p.partition,
                currentLeaderEpoch: -1,
                fetchOffset: p.offset,
                lastFetchedEpoch: -1,
                logStartOffset: -1,
                partitionMaxBytes: o.fetchPartitionMaxBytes,
              })),
            },
          ],
          forgottenTopicsData: [],
          rackId: '',
        });
      } catch (err) {
        if (this.stopped) return;
        throw err;
      }
      const recvUs = nowUs();
      const resp = framed.body;
      const measured = sendUs >= this.spec.measureStartUs;
      if (measured) {
        this.fetchLatency.record(recvUs - sendUs);
        this.stats.fetches++;
      }
      let got = 0;
      let retry = false;
      for (const t of resp.responses) {
        for (const pd of t.partitions) {
          const state = active.find((p) => p.partition === pd.partitionIndex);
          if (!state) continue;
          if (pd.errorCode !== 0) {
            const name = errorName(pd.errorCode);
            if (!(kafkaErrorByCode(pd.errorCode)?.retriable ?? false)) {
              throw new TributaryError('INVALID_ARGUMENT', `fetch ${topic}-${state.partition} at offset ${state.offset} failed: ${name}`, { errorCode: pd.errorCode });
            }
            this.stats.errors[name] = (this.stats.errors[name] ?? 0) + 1;
            retry = true;
            continue;
          }
          if (pd.records && pd.records.length > 0) got += this.take(state, pd.records, recvUs);
        }
      }
      framed.release();
      if (measured && got === 0) this.stats.emptyFetches++;
      if (got > 0) this.spec.onRecords();
      if (retry) await sleep(RETRY_BACKOFF_MS);
    }
  }

  /** Counts the whole batches in `records` from their headers; returns records taken. */
  private take(state: PartState, records: Buffer, recvUs: number): number {
    const measured = recvUs >= this.spec.measureStartUs;
    let pos = 0;
    let taken = 0;
    for (;;) {
      const b = DeflatedBatch.at(records, pos);
      if (!b) break; // the last batch may be cut short by partitionMaxBytes
      pos += b.sizeInBytes;
      if (b.bytes[MAGIC_OFFSET] !== MAGIC_V2) {
        throw new TributaryError('INVALID_BATCH', `${this.spec.layout.topic}-${state.partition} at offset ${state.offset} holds message format v${b.magic}; perf reads RecordBatch v2 only`);
      }
      const from = state.offset;
      const next = b.nextOffset;
      if (next <= from) continue;
      state.offset = next;
      if (b.isControl) continue;
      const base = b.baseOffset;
      // Producer batches have dense offsets; a batch that starts before the fetch offset
      // (a fetch into the middle of a batch) contributes only its records from there on.
      const count = base >= from ? b.recordCount : Math.min(b.recordCount, next - from);
      taken += count;
      this.receivedPerPartition[state.partition]! += count;
      this.received += count;
      this.bytesReceived += b.sizeInBytes;
      if (measured) {
        this.stats.records += count;
        this.stats.bytes += b.sizeInBytes;
        this.stats.lastRecordUs = recvUs;
      } else this.stats.warmupRecords += count;
      if (this.e2eLatency) this.sendTimes(b, from, recvUs);
    }
    return taken;
  }

  /** e2e: receipt - send time of each record at or after `from`. */
  private sendTimes(b: DeflatedBatch, from: number, recvUs: number): void {
    const hist = this.e2eLatency!;
    const data = b.compression === 0 ? b.recordsBytes : decompress(b.compression, b.recordsBytes);
    const r = new ByteReader(data, 0, data.length, 'INVALID_BATCH');
    const base = b.baseOffset;
    const lo = this.spec.runStartUs - E2E_PLAUSIBLE_SKEW_US;
    const hi = recvUs + E2E_PLAUSIBLE_SKEW_US;
    const measureStart = this.spec.measureStartUs;
    for (let i = b.recordCount; i > 0; i--) {
      const len = r.readVarint();
      const start = r.pos;
      r.skip(1); // attributes
      r.readVarlong(); // timestampDelta
      const offsetDelta = r.readVarint();
      const keyLen = r.readVarint();
      if (keyLen > 0) r.skip(keyLen);
      const valueLen = r.readVarint();
      if (base + offsetDelta >= from) {
        const sent = valueLen >= 8 && r.remaining >= 8 ? data.readDoubleLE(r.pos) : NaN;
        if (!(sent >= lo && sent <= hi)) this.stats.foreign++;
        else if (sent >= measureStart) hist.record(recvUs - sent);
      }
      r.pos = start + len;
    }
  }
}
