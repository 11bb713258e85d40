/**
 * One client connection: frames in, responses out, in request order.
 *
 * Requests are decoded as their frames complete and handled concurrently (a long-polling
 * Fetch does not hold up a Metadata behind it in the handler), but responses are written
 * strictly in request order, as Kafka clients require: each request takes a slot in a FIFO
 * and the head slot is written as soon as it is filled. A Produce with acks=0 has a slot that
 * is filled with nothing.
 *
 * Back-pressure: no further request is dispatched, and the socket stops being read, while
 * `inflightRequestsMax` requests are unanswered or more than `connectionOutputBytesMax` bytes
 * of responses wait in the socket's buffer; both resume when below their limits again. A flood of produce requests or a
 * consumer that does not read its fetch responses therefore cannot grow memory without bound.
 *
 * Bad input: a frame over `frameBytesMax`, or one that does not decode, closes the connection
 * (Kafka does the same: after a bad frame the stream cannot be trusted). An unknown API or
 * version is answered with UNSUPPORTED_VERSION for ApiVersions (KIP-511) and closes the
 * connection for any other API. Nothing that one connection sends can crash the broker.
 */
import type { Socket } from 'node:net';
import { isTributaryError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { DecodedRequest } from '../protocol/index.js';
import { ApiKey, FrameDecoder, decodeRequest, encodeResponse } from '../protocol/index.js';
import type { BrokerConfig } from './config.js';
import type { FramePool } from '../protocol/index.js';
import { unsupportedVersionResponse } from './handlers/api-versions.js';

/** What a handler returns: a body to encode, pre-encoded frame chunks, or no response. */
export type HandlerResult = { body: object } | { chunks: Buffer[] } | null;

export interface RequestContext {
  readonly connection: Connection;
  readonly clientId: string;
  readonly clientHost: string;
  /**
   * Says that nothing reads the request's bytes any more, so its frame buffer may be reused
   * (see frame-pool.ts for who may call it). Idempotent; a no-op when the frame is not pooled.
   */
  readonly releaseFrame: () => void;
}

export type Dispatch = (req: DecodedRequest, ctx: RequestContext) => Promise<HandlerResult> | HandlerResult;

interface Slot {
  done: boolean;
  out: Buffer[] | null;
  /** Close the connection once this slot has been written (after a fatal request error). */
  closeAfter: boolean;
}

export class Connection {
  private readonly decoder: FrameDecoder;
  private readonly slots: Slot[] = [];
  private paused = false;
  private closing = false;
  /** Decoded frames not yet dispatched (see `pump`). */
  private readonly backlog: Buffer[] = [];
  private pumping = false;
  private readonly log: Logger;
  readonly remote: string;

  constructor(
    readonly socket: Socket,
    private readonly config: BrokerConfig,
    private readonly dispatch: Dispatch,
    log: Logger,
    private readonly onClose: (c: Connection) => void,
    private readonly framePool: FramePool | null = null,
  ) {
    this.decoder = new FrameDecoder({ frameBytesMax: config.frameBytesMax, ...(framePool ? { allocFrame: (n: number) => framePool.take(n) } : {}) });
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.log = log.child ? log.child({ remote: this.remote }) : log;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.pump());
    socket.on('error', (err) => this.log.debug({ err: err.message }, 'socket error'));
    socket.on('close', () => {
      this.closing = true;
      this.onClose(this);
    });
  }

  /** Unanswered requests on this connection. */
  get inflight(): number {
    return this.slots.length;
  }

  /** Stop reading, let in-flight responses go out, then end the socket. */
  async drainAndClose(timeoutMs: number): Promise<void> {
    this.closing = true;
    this.socket.pause();
    const deadline = Date.now() + timeoutMs;
    while (this.slots.length > 0 && Date.now() < deadline && !this.socket.destroyed) {
      await new Promise((r) => setTimeout(r, 5));
    }
    this.socket.end();
    this.socket.destroySoon();
  }

  destroy(): void {
    this.closing = true;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.log.warn({ err: errText(err) }, 'bad frame; closing connection');
      this.destroy();
      return;
    }
    for (const frame of frames) this.backlog.push(frame);
    this.pump();
  }

  /**
   * Dispatches received frames while under both limits. Frames that arrived together in one
   * read wait in `backlog` (bounded by what was read before the socket paused), so a client
   * pipelining hundreds of small requests in one segment cannot make us queue hundreds of
   * large responses.
   */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.backlog.length > 0 && !this.closing && !this.overLimit()) this.onFrame(this.backlog.shift()!);
    } finally {
      this.pumping = false;
    }
    this.updateFlow();
  }

  private overLimit(): boolean {
    return this.slots.length >= this.config.inflightRequestsMax || this.socket.writableLength > this.config.connectionOutputBytesMax;
  }

  private onFrame(frame: Buffer): void {
    let req: DecodedRequest;
    try {
      req = decodeRequest(frame);
    } catch (err) {
      const ctx = isTributaryError(err, 'UNSUPPORTED_VERSION') ? (err.context as { apiKey: number; apiVersion: number; correlationId: number }) : null;
      if (ctx && ctx.apiKey === ApiKey.ApiVersions) {
        // KIP-511: answer with v0 of the response, error UNSUPPORTED_VERSION and our ranges.
        const slot = this.newSlot();
        this.fill(slot, [unsupportedVersionResponse(ctx.correlationId)]);
        return;
      }
      this.log.warn({ err: errText(err), ...(ctx ?? {}) }, 'undecodable request; closing connection');
      // Responses already queued still go out; then the connection closes.
      const slot = this.newSlot();
      slot.closeAfter = true;
      this.fill(slot, null);
      return;
    }
    const slot = this.newSlot();
    const releaseFrame = this.framePool ? this.framePool.releaser(frame) : noop;
    const ctx: RequestContext = { connection: this, clientId: req.header.clientId ?? '', clientHost: this.socket.remoteAddress ?? '', releaseFrame };
    let result: Promise<HandlerResult> | HandlerResult;
    try {
      result = this.dispatch(req, ctx);
    } catch (err) {
      this.handlerFailed(slot, req, err);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (r) => this.complete(slot, req, r),
        (err: unknown) => this.handlerFailed(slot, req, err),
      );
    } else {
      this.complete(slot, req, result);
    }
  }

  private complete(slot: Slot, req: DecodedRequest, r: HandlerResult): void {
    if (r === null) return this.fill(slot, null);
    try {
      if ('chunks' in r) return this.fill(slot, r.chunks);
      this.fill(slot, [encodeResponse(req.apiKey, req.apiVersion, req.header.correlationId, r.body)]);
    } catch (err) {
      this.handlerFailed(slot, req, err);
    }
  }

  private handlerFailed(slot: Slot, req: DecodedRequest, err: unknown): void {
    // A handler bug must not take the broker down; the client sees the connection close and retries.
    this.log.error({ err: errText(err), api: req.apiName, version: req.apiVersion }, 'request handler failed; closing connection');
    slot.closeAfter = true;
    this.fill(slot, null);
  }

  private newSlot(): Slot {
    const slot: Slot = { done: false, out: null, closeAfter: false };
    this.slots.push(slot);
    return slot;
  }

  private fill(slot: Slot, out: Buffer[] | null): void {
    slot.done = true;
    slot.out = out;
    this.flush();
  }

  /** Writes every filled slot at the head of the queue, in order. */
  private flush(): void {
    const sock = this.socket;
    if (sock.destroyed) {
      this.slots.length = 0;
      return;
    }
    let n = 0;
    while (n < this.slots.length && this.slots[n]!.done) n++;
    if (n === 0) return;
    const ready = this.slots.splice(0, n);
    sock.cork();
    let close = false;
    for (const slot of ready) {
      if (slot.out) for (const chunk of slot.out) sock.write(chunk);
      if (slot.closeAfter) {
        close = true;
        break;
      }
    }
    sock.uncork();
    if (close) {
      this.closing = true;
      this.slots.length = 0;
      sock.end();
      sock.destroySoon();
      return;
    }
    this.pump();
  }

  private updateFlow(): void {
    if (this.closing) return;
    const stop = this.backlog.length > 0 || this.overLimit();
    if (stop && !this.paused) {
      this.paused = true;
      this.socket.pause();
    } else if (!stop && this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }
}

function noop(): void {}

function errText(err: unknown): string {
  return err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err);
}
