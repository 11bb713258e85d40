/**
 * Request and response headers (Kafka RequestHeader.json / ResponseHeader.json), as tables
 * the generic codec walks like any message.
 *
 *   request header v0: apiKey int16, apiVersion int16, correlationId int32
 *   request header v1: + clientId nullable string
 *   request header v2: + tagged fields. clientId stays a *non-compact* nullable string
 *                      (its flexibleVersions is 'none') for compatibility with brokers that
 *                      parse the header before knowing the API.
 *   response header v0: correlationId int32
 *   response header v1: + tagged fields
 *
 * Which one an API version uses: flexible versions use request header v2 and response header
 * v1, others v1 and v0; ApiVersions responses always use response header v0, so a client
 * can read the answer whatever version it asked with (KIP-511). Request header v0 was only
 * used by ControlledShutdown v0, which we do not speak.
 */
import type { MessageSpec } from './schema.js';
import { inVersions } from './schema.js';

export const RequestHeader = {
  name: 'RequestHeader', apiKey: -1, type: 'header', validVersions: '0-2', flexibleVersions: '2+',
  fields: [
    { name: 'requestApiKey', type: 'int16', versions: '0+' },
    { name: 'requestApiVersion', type: 'int16', versions: '0+' },
    { name: 'correlationId', type: 'int32', versions: '0+' },
    { name: 'clientId', type: 'string', versions: '1+', nullableVersions: '1+', flexibleVersions: 'none' },
  ],
} as const satisfies MessageSpec;

export const ResponseHeader = {
  name: 'ResponseHeader', apiKey: -1, type: 'header', validVersions: '0-1', flexibleVersions: '1+',
  fields: [{ name: 'correlationId', type: 'int32', versions: '0+' }],
} as const satisfies MessageSpec;

export interface RequestHeaderValue {
  requestApiKey: number;
  requestApiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/** ApiVersions' key: its responses always use response header v0. */
const API_VERSIONS_KEY = 18;

/** The request header version an API version uses, given the API's request table. */
export function requestHeaderVersion(request: MessageSpec, apiVersion: number): number {
  return inVersions(request.flexibleVersions, apiVersion) ? 2 : 1;
}

/** The response header version an API version uses, given the API's response table. */
export function responseHeaderVersion(response: MessageSpec, apiVersion: number): number {
  if (response.apiKey === API_VERSIONS_KEY) return 0;
  return inVersions(response.flexibleVersions, apiVersion) ? 1 : 0;
}
