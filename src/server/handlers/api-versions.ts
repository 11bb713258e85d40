/**
 * ApiVersions (key 18): the versions this broker speaks, generated from the one table in
 * src/protocol/api-keys.ts. An ApiVersions request of a version we do not speak is answered
 * with a v0 response carrying UNSUPPORTED_VERSION and our ranges (KIP-511), so the client can
 * retry with a version it shares with us.
 */
import type { RequestBody, ResponseInput } from '../../protocol/index.js';
import { ApiKey, KafkaErrorCode, apiVersionsResponseKeys, encodeResponse } from '../../protocol/index.js';

export function handleApiVersions(_req: RequestBody<'ApiVersions'>): ResponseInput<'ApiVersions'> {
  return { errorCode: 0, apiKeys: apiVersionsResponseKeys(), throttleTimeMs: 0 };
}

/** The framed v0 answer to an ApiVersions request of an unsupported version. */
export function unsupportedVersionResponse(correlationId: number): Buffer {
  return encodeResponse(ApiKey.ApiVersions, 0, correlationId, { errorCode: KafkaErrorCode.UNSUPPORTED_VERSION, apiKeys: apiVersionsResponseKeys() });
}
