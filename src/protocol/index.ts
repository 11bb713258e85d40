/**
 * The public protocol API: pure functions from frames to typed messages and back. No I/O.
 *
 * Server side:  FrameDecoder -> decodeRequest(frame) -> handler -> encodeResponse(...) -> socket
 * Client side:  encodeRequest(...) -> socket -> FrameDecoder -> decodeResponse(...)
 *
 * A frame here is the bytes after the int32 size prefix (what FrameDecoder yields); encoders
 * return whole frames, size prefix included, ready to write.
 *
 * Errors are TributaryErrors: MALFORMED_FRAME for bytes that do not parse, LIMIT_EXCEEDED for
 * lengths over a limit, UNSUPPORTED_VERSION for an API key or version outside what the broker
 * speaks (context: apiKey, apiVersion, correlationId, clientId — enough to answer it; Kafka
 * answers an unsupported ApiVersions version with an ApiVersions v0 response carrying
 * UNSUPPORTED_VERSION and the supported ranges, KIP-511).
 */
import { TributaryError } from '../errors.js';
import type { ApiVersionRange } from './api-keys.js';
import { isSupported } from './api-keys.js';
import type { Struct } from './codec.js';
import { encodeChunks, frameReader, messageCodec } from './codec.js';
import { FRAME_SIZE_BYTES } from './framing.js';
import type { RequestHeaderValue } from './header.js';
import { RequestHeader, ResponseHeader, requestHeaderVersion, responseHeaderVersion } from './header.js';
import type { ApiName } from './messages/index.js';
import { API_SPECS, apiSpecByKey } from './messages/index.js';
import type { ApiSpec, MessageSpec } from './schema.js';
import type { Decoded, Input } from './types.js';

export { ApiKey, SUPPORTED_APIS, apiVersionsResponseKeys, isSupported, supportedVersions } from './api-keys.js';
export type { ApiVersionRange };
export { RecordChunks, SPLICE_BYTES_MIN, ZERO_UUID, decodeMessage, encodeMessage } from './codec.js';
export type { Struct };
export { KAFKA_ERRORS, KafkaErrorCode, kafkaErrorByCode, kafkaErrorByName, kafkaErrorCode } from './error-codes.js';
export type { KafkaError, KafkaErrorName } from './error-codes.js';
export { FRAME_SIZE_BYTES, FrameDecoder, encodeFrame } from './framing.js';
export type { FrameDecoderOptions } from './framing.js';
export { FramePool } from './frame-pool.js';
export { RequestHeader, ResponseHeader, requestHeaderVersion, responseHeaderVersion } from './header.js';
export type { RequestHeaderValue };
export { API_SPECS, apiSpecByKey } from './messages/index.js';
export type { ApiName };
export type { ApiSpec, FieldSpec, MessageSpec, Versions } from './schema.js';

type Specs = typeof API_SPECS;
/** A decoded request body of API `N`, e.g. `RequestBody<'Produce'>`. */
export type RequestBody<N extends ApiName> = Decoded<Specs[N]['request']['fields']>;
/** A decoded response body of API `N`. */
export type ResponseBody<N extends ApiName> = Decoded<Specs[N]['response']['fields']>;
/** A request body to encode (every field optional: omitted = the schema's default). */
export type RequestInput<N extends ApiName> = Input<Specs[N]['request']['fields']>;
/** A response body to encode (every field optional: omitted = the schema's default). */
export type ResponseInput<N extends ApiName> = Input<Specs[N]['response']['fields']>;

/**
 * A decoded request; switching on `apiName` narrows `body`. `trailingBytes` counts the bytes
 * after the body that its schema does not name (ignored, see `decodeRequest`).
 */
export type DecodedRequest = {
  [N in ApiName]: { apiName: N; apiKey: Specs[N]['apiKey']; apiVersion: number; header: RequestHeaderValue; body: RequestBody<N>; trailingBytes: number };
}[ApiName];

export interface DecodeRequestOptions {
  /**
   * Which versions to accept: 'supported' (default) = the broker's ranges (api-keys.ts);
   * 'schema' = every version the tables define (tests, tools).
   */
  versions?: 'supported' | 'schema';
  /**
   * Bytes after the body: 'ignore' (default) = Kafka's rule, counted in `trailingBytes`;
   * 'reject' = MALFORMED_FRAME (tools and tests that want every byte accounted for).
   */
  trailingBytes?: 'ignore' | 'reject';
}

/** Bytes before the client id in every request header version. */
const REQUEST_HEADER_FIXED_BYTES = 8;

/**
 * The first fields of a request header, read without knowing the API: enough to answer a
 * request that cannot be decoded. Undefined when the frame is too short to hold them.
 */
export function peekRequestHeader(frame: Buffer): { requestApiKey: number; requestApiVersion: number; correlationId: number } | undefined {
  if (frame.length < REQUEST_HEADER_FIXED_BYTES) return undefined;
  return { requestApiKey: frame.readInt16BE(0), requestApiVersion: frame.readInt16BE(2), correlationId: frame.readInt32BE(4) };
}

function unsupported(frame: Buffer, apiKey: number, apiVersion: number, correlationId: number, known: boolean): TributaryError {
  // Header v1's client id sits at the same place in every version; read it if it parses.
  let clientId: string | null = null;
  try {
    clientId = (messageCodec(RequestHeader, 1).read(frameReader(frame)) as unknown as RequestHeaderValue).clientId;
  } catch {
    // not needed to answer
  }
  const what = known ? `${apiSpecByKey(apiKey)?.name ?? apiKey} v${apiVersion}` : `API key ${apiKey}`;
  return new TributaryError('UNSUPPORTED_VERSION', `unsupported request: ${what}`, { apiKey, apiVersion, correlationId, clientId, knownApi: known });
}

/**
 * Decodes a request frame (without its size prefix): header, then body.
 *
 * Bytes after the body are ignored, as Apache Kafka does (its RequestContext parses the body
 * from the frame and never looks at what is left): librdkafka 2.x sends an all-topics
 * MetadataRequest v9+ with 3 stray bytes after it (confluentinc/librdkafka#5049), and every
 * client that lists topics would break on a stricter broker. The count is returned in
 * `trailingBytes` so the broker can count such requests. Everything inside the body is still
 * checked: a truncated field, a length past the frame, a bad tagged-field section is
 * MALFORMED_FRAME whatever follows it.
 */
export function decodeRequest(frame: Buffer, options: DecodeRequestOptions = {}): DecodedRequest {
  const peek = peekRequestHeader(frame);
  if (peek === undefined) throw new TributaryError('MALFORMED_FRAME', `request frame of ${frame.length} bytes is shorter than a header`, { length: frame.length });
  const { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId } = peek;
  const spec = apiSpecByKey(apiKey);
  if (spec === undefined) throw unsupported(frame, apiKey, apiVersion, correlationId, false);
  const ok = options.versions === 'schema' ? inRange(spec.request, apiVersion) : isSupported(apiKey, apiVersion);
  if (!ok) throw unsupported(frame, apiKey, apiVersion, correlationId, true);

  const r = frameReader(frame);
  const header = messageCodec(RequestHeader, requestHeaderVersion(spec.request, apiVersion)).read(r) as unknown as RequestHeaderValue;
  const body = messageCodec(spec.request, apiVersion).read(r);
  if (options.trailingBytes === 'reject') r.expectEnd(`${spec.request.name} v${apiVersion}`);
  return { apiName: spec.name, apiKey, apiVersion, header, body, trailingBytes: r.remaining } as DecodedRequest;
}

function inRange(spec: MessageSpec, version: number): boolean {
  try {
    messageCodec(spec, version);
    return true;
  } catch {
    return false;
  }
}

function specFor(apiKey: number): ApiSpec {
  const spec = apiSpecByKey(apiKey);
  if (spec === undefined) throw new TributaryError('UNSUPPORTED_VERSION', `no schema for API key ${apiKey}`, { apiKey });
  return spec;
}

/** Encodes header + body into one exactly-sized buffer with the int32 size prefix. */
function encodeFramed(header: MessageSpec, headerVersion: number, headerValue: Struct, spec: MessageSpec, version: number, body: object): Buffer {
  const hc = messageCodec(header, headerVersion);
  const bc = messageCodec(spec, version);
  const size = hc.size(headerValue) + bc.size(body);
  if (size > 0x7fff_ffff) throw new TributaryError('INVALID_ARGUMENT', `${spec.name} of ${size} bytes does not fit a frame`, { size });
  const buf = Buffer.allocUnsafe(FRAME_SIZE_BYTES + size);
  buf.writeInt32BE(size, 0);
  let pos = hc.write(buf, FRAME_SIZE_BYTES, headerValue);
  pos = bc.write(buf, pos, body);
  if (pos !== buf.length) throw new TributaryError('INVALID_ARGUMENT', `${spec.name} v${version}: wrote ${pos} of ${buf.length} bytes`);
  return buf;
}

/**
 * Encodes a response frame (size prefix, header, body). Any version the table defines can be
 * encoded; ApiVersions responses use response header v0 whatever their version.
 */
export function encodeResponse(apiKey: number, apiVersion: number, correlationId: number, body: object): Buffer {
  const spec = specFor(apiKey).response;
  return encodeFramed(ResponseHeader, responseHeaderVersion(spec, apiVersion), { correlationId }, spec, apiVersion, body);
}

/** `encodeFramed` with splicing: large RecordChunks come back by reference (see codec.ts). */
function encodeFramedChunks(header: MessageSpec, headerVersion: number, headerValue: Struct, spec: MessageSpec, version: number, body: object): Buffer[] {
  const hc = messageCodec(header, headerVersion);
  const bc = messageCodec(spec, version);
  let size = 0;
  return encodeChunks(
    () => {
      size = hc.size(headerValue) + bc.size(body);
      if (size > 0x7fff_ffff) throw new TributaryError('INVALID_ARGUMENT', `${spec.name} of ${size} bytes does not fit a frame`, { size });
      return FRAME_SIZE_BYTES + size;
    },
    (buf) => {
      buf.writeInt32BE(size, 0);
      return bc.write(buf, hc.write(buf, FRAME_SIZE_BYTES, headerValue), body);
    },
  );
}

/**
 * Like `encodeResponse`, but `records` fields given as `RecordChunks` of at least
 * SPLICE_BYTES_MIN bytes are not copied: the frame comes back as a list of chunks to write in
 * order (socket cork/uncork or writev), the record batches by reference. This is how a Fetch
 * serves batches zero-copy from the mapped segment.
 */
export function encodeResponseChunks(apiKey: number, apiVersion: number, correlationId: number, body: object): Buffer[] {
  const spec = specFor(apiKey).response;
  return encodeFramedChunks(ResponseHeader, responseHeaderVersion(spec, apiVersion), { correlationId }, spec, apiVersion, body);
}

/** Like `encodeRequest`, with large `RecordChunks` by reference: a producer sends its batches without copying them. */
export function encodeRequestChunks(apiKey: number, apiVersion: number, correlationId: number, clientId: string | null, body: object): Buffer[] {
  const spec = specFor(apiKey).request;
  const header = { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId };
  return encodeFramedChunks(RequestHeader, requestHeaderVersion(spec, apiVersion), header, spec, apiVersion, body);
}

/** Encodes a request frame (size prefix, header, body), for clients and load generators. */
export function encodeRequest(apiKey: number, apiVersion: number, correlationId: number, clientId: string | null, body: object): Buffer {
  const spec = specFor(apiKey).request;
  const header = { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId };
  return encodeFramed(RequestHeader, requestHeaderVersion(spec, apiVersion), header, spec, apiVersion, body);
}

/** The correlation id of a response frame (its first field in every header version). */
export function responseCorrelationId(frame: Buffer): number {
  if (frame.length < 4) throw new TributaryError('MALFORMED_FRAME', `response frame of ${frame.length} bytes is shorter than a header`, { length: frame.length });
  return frame.readInt32BE(0);
}

/**
 * Decodes a response frame (without its size prefix) to a request the client sent as
 * `apiKey` v`apiVersion` (responses do not name their API: match them by correlation id).
 */
export function decodeResponse(apiKey: number, apiVersion: number, frame: Buffer): { correlationId: number; body: Struct } {
  const spec = specFor(apiKey).response;
  const r = frameReader(frame);
  const header = messageCodec(ResponseHeader, responseHeaderVersion(spec, apiVersion)).read(r) as { correlationId: number };
  const body = messageCodec(spec, apiVersion).read(r) as Struct;
  r.expectEnd(`${spec.name} v${apiVersion}`);
  return { correlationId: header.correlationId, body };
}

/** `decodeResponse` typed by API name. */
export function decodeResponseOf<N extends ApiName>(api: N, apiVersion: number, frame: Buffer): { correlationId: number; body: ResponseBody<N> } {
  return decodeResponse(API_SPECS[api].apiKey, apiVersion, frame) as { correlationId: number; body: ResponseBody<N> };
}
