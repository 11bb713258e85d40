/**
 * A minimal Kafka protocol client connection built on src/protocol only: send a request, get
 * its decoded response. Requests may be pipelined; responses are matched by correlation id
 * (Kafka answers in order on a connection, which we check). Used by the CLI's admin commands,
 * the load generator and the tests; it works against any Kafka-compatible broker.
 */
import net from 'node:net';
import { TributaryError } from '../errors.js';
import type { ApiName, FramePool, RequestInput, ResponseBody } from '../protocol/index.js';
import { API_SPECS, FrameDecoder, decodeResponse, encodeRequestChunks, responseCorrelationId } from '../protocol/index.js';

interface Pending {
  apiKey: number;
  apiVersion: number;
  resolve: (body: unknown, frame: Buffer) => void;
  reject: (err: unknown) => void;
  /** When the request was written (ms), for the request timeout. */
  sentAt: number;
}

export interface KafkaConnectionOptions {
  host: string;
  port: number;
  clientId?: string;
  /** Fails a request that gets no answer within this time (default 30 s). */
  requestTimeoutMs?: number;
  /**
   * Join large responses into buffers from this pool (frame-pool.ts). Only responses taken
   * with `requestFramed` are ever given back to it; the others are garbage collected.
   */
  framePool?: FramePool;
  /**
   * Read the socket with Node's `onread` instead of a fresh 64 KiB buffer per read: into one
   * reused buffer of this many bytes between responses, and straight into the response's own
   * buffer once its size is known (FrameDecoder `copyFrames` + `frameTail`). A large response
   * is then copied at most for the part that arrived with its size prefix; nothing is
   * allocated per read. Default: off (0).
   */
  readBufferBytes?: number;
}

/** A decoded response and the means to give its frame back to the pool (see `requestFramed`). */
export interface FramedResponse<N extends ApiName> {
  body: ResponseBody<N>;
  /** Call once nothing reads the body's byte fields any more; no-op without a pool. */
  release: () => void;
}

function noop(): void {}

export class KafkaConnection {
  private readonly socket: net.Socket;
  private readonly decoder: FrameDecoder;
  private readonly framePool: FramePool | null;
  private readonly pending = new Map<number, Pending>();
  private nextCorrelationId = 1;
  private failure: Error | null = null;
  private readonly timer: NodeJS.Timeout;
  readonly clientId: string;

  private constructor(socket: net.Socket, clientId: string, requestTimeoutMs: number, framePool: FramePool | null, copyFrames: boolean) {
    this.socket = socket;
    this.framePool = framePool;
    this.decoder = new FrameDecoder({ copyFrames, ...(framePool ? { allocFrame: (n: number) => framePool.take(n) } : {}) });
    this.clientId = clientId;
    // Responses come in request order, so the oldest pending request is the first to time out;
    // after a timeout the stream cannot be trusted and the connection is closed.
    this.timer = setInterval(() => {
      const oldest = this.pending.values().next().value as Pending | undefined;
      if (oldest && Date.now() - oldest.sentAt > requestTimeoutMs) {
        this.fail(new TributaryError('REQUEST_TIMED_OUT', `no response within ${requestTimeoutMs} ms`, { requestTimeoutMs }));
        this.socket.destroy();
      }
    }, Math.min(1000, Math.max(10, requestTimeoutMs / 4)));
    this.timer.unref();
    socket.setNoDelay(true);
    if (!copyFrames) socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new TributaryError('CLOSED', 'connection closed by the broker')));
  }

  static connect(opts: KafkaConnectionOptions): Promise<KafkaConnection> {
    return new Promise((resolve, reject) => {
      const readBytes = opts.readBufferBytes ?? 0;
      let conn: KafkaConnection | null = null;
      const scratch = readBytes > 0 ? Buffer.allocUnsafe(readBytes) : null;
      // Node asks for the next read's buffer before every read, after the last callback ran.
      const readInto = (): Uint8Array => conn?.decoder.frameTail ?? scratch!;
      const socket = scratch
        ? net.connect({
            host: opts.host,
            port: opts.port,
            onread: {
              buffer: readInto,
              callback: (n: number, buf: Uint8Array): boolean => {
                if (conn === null) return true; // nothing is sent before 'connect', so nothing arrives
                if (buf === scratch) conn.onData(buf.subarray(0, n));
                else conn.onFrames(() => conn!.decoder.filled(n));
                return true;
              },
            },
          })
        : net.connect({ host: opts.host, port: opts.port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        conn = new KafkaConnection(socket, opts.clientId ?? 'tributary-client', opts.requestTimeoutMs ?? 30_000, opts.framePool ?? null, readBytes > 0);
        resolve(conn);
      });
    });
  }

  /** Sends a request and resolves with its decoded response body. */
  request<N extends ApiName>(api: N, apiVersion: number, body: RequestInput<N>): Promise<ResponseBody<N>> {
    return this.requestFramed(api, apiVersion, body).then((r) => r.body);
  }

  /**
   * `request`, plus a `release` that gives the response's frame back to the connection's
   * pool. The body's byte fields (records) are views of that frame: read them before calling it.
   */
  requestFramed<N extends ApiName>(api: N, apiVersion: number, body: RequestInput<N>): Promise<FramedResponse<N>> {
    if (this.failure) return Promise.reject(this.failure);
    const apiKey = API_SPECS[api].apiKey;
    const correlationId = this.nextCorrelationId++ & 0x7fffffff;
    const chunks = encodeRequestChunks(apiKey, apiVersion, correlationId, this.clientId, body);
    const pool = this.framePool;
    return new Promise((resolve, reject) => {
      const onResponse = (decoded: unknown, frame: Buffer): void => resolve({ body: decoded as ResponseBody<N>, release: pool ? pool.releaser(frame) : noop });
      this.pending.set(correlationId, { apiKey, apiVersion, resolve: onResponse, reject, sentAt: Date.now() });
      this.writeChunks(chunks);
    });
  }

  /** Sends a request that gets no response (Produce with acks=0); resolves once written. */
  send<N extends ApiName>(api: N, apiVersion: number, body: RequestInput<N>): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const chunks = encodeRequestChunks(API_SPECS[api].apiKey, apiVersion, this.nextCorrelationId++ & 0x7fffffff, this.clientId, body);
    return new Promise((resolve, reject) => this.writeChunks(chunks, (err) => (err ? reject(err) : resolve())));
  }

  /** One gathered write: `records` given as RecordChunks go out by reference, not copied. */
  private writeChunks(chunks: Buffer[], done?: (err?: Error | null) => void): void {
    if (chunks.length === 1) {
      this.socket.write(chunks[0]!, done);
      return;
    }
    this.socket.cork();
    for (let i = 0; i < chunks.length; i++) this.socket.write(chunks[i]!, i === chunks.length - 1 ? done : undefined);
    this.socket.uncork();
  }

  /** Writes raw bytes (tests: malformed frames). */
  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  get inflight(): number {
    return this.pending.size;
  }

  get closed(): boolean {
    return this.failure !== null;
  }

  close(): void {
    clearInterval(this.timer);
    this.socket.destroy();
  }

  private onData(chunk: Uint8Array): void {
    this.onFrames(() => this.decoder.push(chunk));
  }

  /** Answers the pending requests whose responses `decode` completes. */
  private onFrames(decode: () => Buffer[]): void {
    let frames: Buffer[];
    try {
      frames = decode();
    } catch (err) {
      this.fail(err as Error);
      this.socket.destroy();
      return;
    }
    for (const frame of frames) {
      const id = responseCorrelationId(frame);
      const p = this.pending.get(id);
      if (!p) {
        this.fail(new TributaryError('MALFORMED_FRAME', `response with unknown correlation id ${id}`));
        this.socket.destroy();
        return;
      }
      this.pending.delete(id);
      try {
        p.resolve(decodeResponse(p.apiKey, p.apiVersion, frame).body, frame);
      } catch (err) {
        p.reject(err);
      }
    }
  }

  private fail(err: Error): void {
    clearInterval(this.timer);
    if (!this.failure) this.failure = err;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }
}
