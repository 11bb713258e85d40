/**
 * A minimal Kafka protocol client connection built on src/protocol only: send a request, get
 * its decoded response. Requests may be pipelined; responses are matched by correlation id
 * (Kafka answers in order on a connection, which we check). Used by the CLI's admin commands,
 * the load generator and the tests; it works against any Kafka-compatible broker.
 */
import net from 'node:net';
import { TributaryError } from '../errors.js';
import type { ApiName, RequestInput, ResponseBody } from '../protocol/index.js';
import { API_SPECS, FrameDecoder, decodeResponse, encodeRequestChunks, responseCorrelationId } from '../protocol/index.js';

interface Pending {
  apiKey: number;
  apiVersion: number;
  resolve: (body: unknown) => void;
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
}

export class KafkaConnection {
  private readonly socket: net.Socket;
  private readonly decoder = new FrameDecoder();
  private readonly pending = new Map<number, Pending>();
  private nextCorrelationId = 1;
  private failure: Error | null = null;
  private readonly timer: NodeJS.Timeout;
  readonly clientId: string;

  private constructor(socket: net.Socket, clientId: string, requestTimeoutMs: number) {
    this.socket = socket;
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
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new TributaryError('CLOSED', 'connection closed by the broker')));
  }

  static connect(opts: KafkaConnectionOptions): Promise<KafkaConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: opts.host, port: opts.port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new KafkaConnection(socket, opts.clientId ?? 'tributary-client', opts.requestTimeoutMs ?? 30_000));
      });
    });
  }

  /** Sends a request and resolves with its decoded response body. */
  request<N extends ApiName>(api: N, apiVersion: number, body: RequestInput<N>): Promise<ResponseBody<N>> {
    if (this.failure) return Promise.reject(this.failure);
    const apiKey = API_SPECS[api].apiKey;
    const correlationId = this.nextCorrelationId++ & 0x7fffffff;
    const chunks = encodeRequestChunks(apiKey, apiVersion, correlationId, this.clientId, body);
    return new Promise((resolve, reject) => {
      this.pending.set(correlationId, { apiKey, apiVersion, resolve: resolve as (b: unknown) => void, reject, sentAt: Date.now() });
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

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
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
        p.resolve(decodeResponse(p.apiKey, p.apiVersion, frame).body);
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
