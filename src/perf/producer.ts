/**
 * One load-generating producer: a schedule of records, per-partition batch accumulators, and
 * a connection per partition leader with up to --max-inflight Produce requests pipelined.
 *
 * Timing (docs/perf.md "How the timing works"):
 *  - With --rate R, record k of producer i of N has an intended send time fixed in advance,
 *    start + (k*N + i)/R seconds, whatever happens to the run. Records are generated at
 *    their intended time (or, if the generator fell behind, as soon as it catches up, still
 *    stamped with their intended time). A batch is due when it fills (at the intended time
 *    of the record that filled it) or when its linger expires (first record + linger),
 *    whichever is first. Produce latency is ack time - due time, so a stalled broker or a
 *    full pipeline shows up as latency instead of silently slowing the schedule down
 *    (no coordinated omission).
 *  - With --rate 0 there is no schedule: records are generated when a request slot is
 *    free, stamped with the current time, and latency is ack time - the time the batch
 *    was due (closed-loop response time).
 *  - The first 8 bytes of every value (when it has 8) are the record's intended send time,
 *    float64 little-endian microseconds since the epoch; e2e reads them back.
 *
 * Batches are written into reused, pre-encoded batch buffers (batch-template.ts): a record
 * costs its timestampDelta byte, its 8-byte send time and its key digits, and a batch one
 * CRC; compressed batches (and the rare batch whose records span over 63 ms) are encoded
 * with encodeBatch from the same bytes. Partitioning follows the Java producer: keyed
 * records by murmur2 of the key, unkeyed ones stick to one partition until its batch closes.
 */
import { producePendingBytesMax, produceRequestBytesMax } from '../limits.js';
import { RECORD_BATCH_OVERHEAD, varintSize } from '../format/index.js';
import { TributaryError } from '../errors.js';
import { RecordChunks, kafkaErrorByCode } from '../protocol/index.js';
import { BatchTemplate } from './batch-template.js';
import { nowUs } from './clock.js';
import type { BrokerNode, NegotiatedConnection, TopicLayout } from './cluster.js';
import { connectNode, errorName } from './cluster.js';
import { LatencyHistogram } from './histogram.js';
import type { KeyIdSource } from './keys.js';
import { Rng, keyIdSource, keyWidth, partitionForKey, randomLetters, writeKey } from './keys.js';
import type { PerfOptions } from './options.js';

/** Records generated per turn of the event loop before yielding to I/O. */
const GENERATE_CHUNK_RECORDS = 50_000;
/** Key spaces up to this size cache each key's partition. */
const PARTITION_CACHE_KEYS_MAX = 1 << 22;

export interface ProducerSpec {
  index: number;
  opts: PerfOptions;
  layout: TopicLayout;
  startUs: number;
  measureStartUs: number;
  /** Generation stops at this time (Infinity: by record count only). */
  endUs: number;
  /** Records this producer sends (Infinity: by time only). */
  quota: number;
  signal?: AbortSignal;
}

interface Link {
  nc: NegotiatedConnection;
  partitions: number;
  inflight: number;
  /** Closed batches waiting for a request slot: a FIFO per partition (offsets follow it). */
  queues: Map<number, ReadyQueue>;
  /** Batches in `queues`. */
  ready: number;
}

interface ReadyQueue {
  items: ReadyBatch[];
  head: number;
}

interface ReadyBatch {
  partition: number;
  bytes: Buffer;
  records: number;
  dueUs: number;
  /** The template buffer `bytes` is a view of, given back once the request is answered. */
  held: Buffer | null;
}

interface Accumulator {
  partition: number;
  link: Link;
  count: number;
  firstUs: number;
  deadlineUs: number;
  gen: number;
  /** The batch being filled (from `template.take`), or null between batches. */
  buf: Buffer | null;
  /** Each record's timestamp (ms), for batches encoded with encodeBatch. */
  timestamps: Float64Array;
  baseMs: number;
  maxMs: number;
  /** Every timestampDelta so far fits the template's one byte. */
  inPlace: boolean;
}

export interface ProducerStats {
  /** Measured (post-warmup), acknowledged (acks=0: written) records and their batch bytes. */
  records: number;
  bytes: number;
  payloadBytes: number;
  batches: number;
  requests: number;
  warmupRecords: number;
  /** Records lost to retriable errors, by Kafka error name. */
  errors: Record<string, number>;
  lastAckUs: number;
}

export class ProducerWorker {
  readonly latency = new LatencyHistogram();
  readonly stats: ProducerStats = { records: 0, bytes: 0, payloadBytes: 0, batches: 0, requests: 0, warmupRecords: 0, errors: {}, lastAckUs: 0 };
  /** Records acknowledged per partition, warmup included (e2e waits for exactly these). */
  readonly ackedPerPartition: number[];
  /** Records generated so far (progress). */
  generated = 0;

  private readonly o: PerfOptions;
  private readonly spec: ProducerSpec;
  private readonly links: Link[] = [];
  private readonly accs: Accumulator[] = [];
  private readonly keys: KeyIdSource | null;
  private readonly keyBytes: number;
  private readonly maxRecords: number;
  private readonly lingerUs: number;
  private readonly rng: Rng;
  private readonly partitionCache: Int32Array | null;
  private readonly scratchKey: Buffer;
  private readonly template: BatchTemplate;
  private readonly open: { acc: Accumulator; gen: number }[] = [];
  private openHead = 0;
  private sticky: number;
  private k = 0;
  private nextUs: number;
  private genDone = false;
  private readyCount = 0;
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private settled = false;
  private resolveRun: () => void = () => {};
  private rejectRun: (err: unknown) => void = () => {};

  constructor(spec: ProducerSpec) {
    this.spec = spec;
    this.o = spec.opts;
    const o = this.o;
    const partitions = spec.layout.leaders.length;
    this.rng = new Rng((o.seed + Math.imul(spec.index + 1, 0x9e3779b1)) >>> 0);
    this.keys = keyIdSource(o.keyDistribution, this.rng);
    this.keyBytes = this.keys ? keyWidth(this.keys.keys) : 0;
    this.scratchKey = Buffer.alloc(this.keyBytes);
    this.partitionCache = this.keys && this.keys.keys <= PARTITION_CACHE_KEYS_MAX ? new Int32Array(this.keys.keys) : null;
    this.lingerUs = o.lingerMs * 1000;
    this.maxRecords = recordsPerBatch(o.batchSizeBytes, o.recordSizeBytes, this.keyBytes);
    this.template = new BatchTemplate(this.maxRecords, o.recordSizeBytes, this.keyBytes, randomLetters(this.maxRecords * o.recordSizeBytes, this.rng));
    this.ackedPerPartition = new Array<number>(partitions).fill(0);
    this.sticky = spec.index % partitions;
    this.nextUs = 0;
  }

  /** Connects to every partition leader (this producer writes to all partitions). */
  async connect(): Promise<void> {
    const byNode = new Map<number, Link>();
    const leaders = this.spec.layout.leaders;
    try {
      for (let p = 0; p < leaders.length; p++) {
        const node: BrokerNode = leaders[p]!;
        let link = byNode.get(node.nodeId);
        if (!link) {
          link = { nc: await connectNode(node, this.o.clientId), partitions: 0, inflight: 0, queues: new Map(), ready: 0 };
          byNode.set(node.nodeId, link);
          this.links.push(link);
        }
        link.partitions++;
        this.accs.push({ partition: p, link, count: 0, firstUs: 0, deadlineUs: 0, gen: 0, buf: null, timestamps: new Float64Array(this.maxRecords), baseMs: 0, maxMs: 0, inPlace: true });
      }
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /**
   * Produces until the quota or end time; resolves when every request is answered. The
   * spec's times must be set by then (they are fixed after connecting, so connection set-up
   * is not part of the schedule).
   */
  run(): Promise<void> {
    this.nextUs = this.intendedUs(0);
    return new Promise((resolve, reject) => {
      this.resolveRun = resolve;
      this.rejectRun = reject;
      this.spec.signal?.addEventListener('abort', () => {
        this.genDone = true;
        this.pump();
      });
      this.pump();
    });
  }

  get inflight(): number {
    let n = 0;
    for (const l of this.links) n += l.inflight;
    return n;
  }

  close(): void {
    this.clearTimers();
    for (const l of this.links) l.nc.conn.close();
  }

  private intendedUs(k: number): number {
    const o = this.o;
    if (o.rate <= 0) return 0;
    return this.spec.startUs + ((k * o.producers + this.spec.index) * 1e6) / o.rate;
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }

  private fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.clearTimers();
    this.rejectRun(err);
  }

  private pump(): void {
    if (this.settled) return;
    try {
      this.clearTimers();
      const now = nowUs();
      let yielded = false;
      if (!this.genDone) yielded = this.o.rate > 0 ? this.generateDue(now) : this.generateFill(now);
      this.closeExpired(now);
      if (this.genDone) this.flushAll(now);
      for (const l of this.links) this.sendReady(l);
      if (this.genDone && this.readyCount === 0 && this.inflight === 0 && this.openCount() === 0) {
        this.settled = true;
        this.resolveRun();
        return;
      }
      if (yielded) this.immediate = setImmediate(() => this.pump());
      else if (this.o.rate > 0 && !this.genDone) {
        const head = this.openHeadAcc();
        const wake = Math.min(this.nextUs, head ? head.deadlineUs : Infinity);
        this.timer = setTimeout(() => this.pump(), Math.max(0, (wake - nowUs()) / 1000));
      } else if (this.o.rate <= 0 && !this.genDone && this.openCount() > 0 && this.inflight === 0 && this.readyCount === 0) {
        // Nothing in flight to wake us: wait out the linger of the partial batches.
        const head = this.openHeadAcc();
        if (head) this.timer = setTimeout(() => this.pump(), Math.max(0, (head.deadlineUs - nowUs()) / 1000));
      }
    } catch (err) {
      this.fail(err);
    }
  }

  private outOfRecords(atUs: number): boolean {
    return this.generated >= this.spec.quota || atUs >= this.spec.endUs;
  }

  /** Rate mode: every record whose intended time has come. Returns true if it yielded early. */
  private generateDue(now: number): boolean {
    let n = 0;
    while (this.nextUs <= now) {
      if (this.outOfRecords(this.nextUs)) {
        this.genDone = true;
        return false;
      }
      if (this.pendingBytes > producePendingBytesMax) {
        throw new TributaryError('LIMIT_EXCEEDED', `the broker is not keeping up with --rate ${this.o.rate}: over ${producePendingBytesMax} bytes of batches wait to be sent`);
      }
      this.addRecord(this.nextUs);
      this.nextUs = this.intendedUs(++this.k);
      if (++n >= GENERATE_CHUNK_RECORDS) return true;
    }
    if (this.outOfRecords(this.nextUs)) this.genDone = true;
    return false;
  }

  /** As-fast-as-possible mode: enough records to fill every free request slot. */
  private generateFill(now: number): boolean {
    let target = 0;
    const perRequest = Math.max(1, Math.floor(produceRequestBytesMax / Math.max(1, this.o.batchSizeBytes)));
    for (const l of this.links) target += (this.o.maxInflight - l.inflight) * Math.min(l.partitions, perRequest);
    let n = 0;
    while (this.readyCount < target) {
      if (this.outOfRecords(now)) {
        this.genDone = true;
        return false;
      }
      this.addRecord(now);
      if (++n >= GENERATE_CHUNK_RECORDS) return true;
    }
    return false;
  }

  private partitionOf(id: number): number {
    const partitions = this.accs.length;
    const cache = this.partitionCache;
    if (cache) {
      const c = cache[id]!;
      if (c !== 0) return c - 1;
    }
    writeKey(this.scratchKey, 0, this.keyBytes, id);
    const p = partitionForKey(this.scratchKey, partitions);
    if (cache) cache[id] = p + 1;
    return p;
  }

  private addRecord(us: number): void {
    let acc: Accumulator;
    let id = 0;
    if (this.keys) {
      id = this.keys.next();
      acc = this.accs[this.partitionOf(id)]!;
    } else acc = this.accs[this.sticky]!;
    const t = this.template;
    const buf = (acc.buf ??= t.take());
    const i = acc.count;
    const ms = Math.floor(us / 1000);
    if (i === 0) {
      acc.firstUs = us;
      acc.deadlineUs = us + this.lingerUs;
      acc.baseMs = ms;
      acc.maxMs = ms;
      acc.inPlace = true;
      this.open.push({ acc, gen: acc.gen });
    }
    acc.timestamps[i] = ms;
    if (ms > acc.maxMs) acc.maxMs = ms;
    if (!t.setTimestampDelta(buf, i, ms - acc.baseMs)) acc.inPlace = false;
    if (this.o.recordSizeBytes >= 8) buf.writeDoubleLE(us, t.valueAt[i]!);
    if (this.keys) writeKey(buf, t.keyAt[i]!, this.keyBytes, id);
    acc.count = i + 1;
    this.generated++;
    if (acc.count === this.maxRecords) this.closeBatch(acc, Math.min(us, acc.deadlineUs));
  }

  private closeBatch(acc: Accumulator, dueUs: number): void {
    const count = acc.count;
    const t = this.template;
    const buf = acc.buf!;
    acc.buf = null;
    let bytes: Buffer;
    let held: Buffer | null = null;
    if (this.o.compression === 'none' && acc.inPlace) {
      bytes = t.finish(buf, count, acc.baseMs, acc.maxMs);
      held = buf;
    } else {
      bytes = t.encodeFrom(buf, count, acc.timestamps, this.o.compression);
      t.release(buf);
    }
    const link = acc.link;
    let q = link.queues.get(acc.partition);
    if (!q) link.queues.set(acc.partition, (q = { items: [], head: 0 }));
    q.items.push({ partition: acc.partition, bytes, records: count, dueUs, held });
    link.ready++;
    this.readyCount++;
    // Memory held, not bytes sent: a short batch still holds a whole template buffer.
    this.pendingBytes += held ? held.length : bytes.length;
    acc.count = 0;
    acc.gen++;
    if (!this.keys && acc.partition === this.sticky) this.sticky = (this.sticky + 1) % this.accs.length;
  }

  private openHeadAcc(): Accumulator | null {
    while (this.openHead < this.open.length) {
      const e = this.open[this.openHead]!;
      if (e.gen === e.acc.gen && e.acc.count > 0) return e.acc;
      this.openHead++;
    }
    if (this.openHead > 0) {
      this.open.length = 0;
      this.openHead = 0;
    }
    return null;
  }

  private openCount(): number {
    return this.openHeadAcc() === null ? 0 : 1;
  }

  /** Closes batches whose linger has expired (accumulators open in deadline order). */
  private closeExpired(now: number): void {
    for (;;) {
      const acc = this.openHeadAcc();
      if (!acc || acc.deadlineUs > now) return;
      this.openHead++;
      this.closeBatch(acc, acc.deadlineUs);
    }
  }

  private flushAll(now: number): void {
    for (;;) {
      const acc = this.openHeadAcc();
      if (!acc) return;
      this.openHead++;
      this.closeBatch(acc, Math.min(now, acc.deadlineUs));
    }
  }

  /**
   * Sends ready batches while the link has free request slots: the oldest batch of each
   * partition that has one, one per partition per request (Kafka requires it for v3+), up to
   * produceRequestBytesMax (at least one batch). The work per request follows the link's
   * partitions, not the backlog, so a producer that fell behind does not fall further.
   */
  private sendReady(link: Link): void {
    while (link.inflight < this.o.maxInflight && link.ready > 0) {
      const taken: ReadyBatch[] = [];
      let bytes = 0;
      for (const q of link.queues.values()) {
        if (q.head === q.items.length) continue;
        const b = q.items[q.head]!;
        if (taken.length > 0 && bytes + b.bytes.length > produceRequestBytesMax) continue;
        taken.push(b);
        bytes += b.bytes.length;
        q.items[q.head++] = undefined as unknown as ReadyBatch; // drop the reference
        if (q.head === q.items.length) {
          q.items.length = 0;
          q.head = 0;
        } else if (q.head >= 1024 && q.head * 2 >= q.items.length) {
          q.items.splice(0, q.head); // amortised: a queue that never drains does not grow
          q.head = 0;
        }
      }
      link.ready -= taken.length;
      this.readyCount -= taken.length;
      this.sendRequest(link, taken);
    }
  }

  private sendRequest(link: Link, taken: ReadyBatch[]): void {
    const o = this.o;
    const body = {
      transactionalId: null,
      acks: o.acks,
      timeoutMs: o.produceTimeoutMs,
      topicData: [{ name: this.spec.layout.topic, partitionData: taken.map((b) => ({ index: b.partition, records: new RecordChunks([b.bytes]) })) }],
    };
    link.inflight++;
    if (nowUs() >= this.spec.measureStartUs) this.stats.requests++;
    const done = (): void => {
      link.inflight--;
      for (const b of taken) {
        this.pendingBytes -= b.held ? b.held.length : b.bytes.length;
        if (b.held) this.template.release(b.held);
      }
    };
    if (o.acks === 0) {
      link.nc.conn
        .send('Produce', link.nc.versions.Produce, body)
        .then(() => {
          done();
          const at = nowUs();
          for (const b of taken) this.acked(b, at, false);
          this.pump();
        })
        .catch((err: unknown) => this.fail(err));
      return;
    }
    link.nc.conn
      .request('Produce', link.nc.versions.Produce, body)
      .then((resp) => {
        const at = nowUs();
        done();
        const codes = new Map<number, number>();
        for (const t of resp.responses) for (const p of t.partitionResponses) codes.set(p.index, p.errorCode);
        for (const b of taken) {
          const code = codes.get(b.partition) ?? -1;
          if (code === 0) this.acked(b, at, true);
          else this.rejected(b, code);
        }
        this.pump();
      })
      .catch((err: unknown) => this.fail(err));
  }

  private acked(b: ReadyBatch, at: number, timed: boolean): void {
    this.ackedPerPartition[b.partition]! += b.records;
    const s = this.stats;
    if (b.dueUs < this.spec.measureStartUs) {
      s.warmupRecords += b.records;
      return;
    }
    s.records += b.records;
    s.bytes += b.bytes.length;
    s.payloadBytes += b.records * (this.o.recordSizeBytes + this.keyBytes);
    s.batches++;
    if (at > s.lastAckUs) s.lastAckUs = at;
    if (timed) this.latency.record(at - b.dueUs);
  }

  private rejected(b: ReadyBatch, code: number): void {
    const name = errorName(code);
    if (!(kafkaErrorByCode(code)?.retriable ?? false)) {
      throw new TributaryError('INVALID_ARGUMENT', `produce to ${this.spec.layout.topic}-${b.partition} failed: ${name} (${b.bytes.length}-byte batch of ${b.records} records)`, {
        errorCode: code,
      });
    }
    // A load generator does not retry: the records are counted as lost and reported.
    this.stats.errors[name] = (this.stats.errors[name] ?? 0) + b.records;
  }
}

/**
 * Records per batch so that the uncompressed records fill at most --batch-size bytes
 * (at least one): each record costs its key and value plus its length, attributes, deltas
 * and field lengths (Kafka DefaultRecord).
 */
export function recordsPerBatch(batchSizeBytes: number, recordSizeBytes: number, keyBytes: number): number {
  const body = 1 + 3 + 3 + (keyBytes > 0 ? varintSize(keyBytes) + keyBytes : 1) + varintSize(recordSizeBytes) + recordSizeBytes + 1;
  const perRecord = varintSize(body) + body;
  return Math.max(1, Math.min(100_000, Math.floor((batchSizeBytes - RECORD_BATCH_OVERHEAD) / perRecord)));
}
