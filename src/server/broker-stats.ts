/**
 * Counters the broker keeps about what clients send it, until a metrics registry exists.
 *
 * Each counter is a plain number that only grows, labelled by API, so an exporter can publish
 * `snapshot()` as it is: one Prometheus counter family per field (e.g.
 * `tributary_request_trailing_bytes_total{api="Metadata"}`). The label space is bounded: a
 * request is counted only after it decoded, so its API key is one the broker speaks.
 *
 * Concurrency: updated and read on the event loop only.
 */
import { apiSpecByKey } from '../protocol/index.js';

/** Requests of one API whose body was followed by bytes its schema does not name. */
export interface TrailingBytesCounter {
  api: string;
  apiKey: number;
  /** Requests that had trailing bytes. */
  requests: number;
  /** Trailing bytes ignored, summed over those requests. */
  bytes: number;
}

export class BrokerStats {
  private readonly trailing = new Map<number, TrailingBytesCounter>();

  /**
   * A request of `apiKey` had `bytes` (> 0) after its body, which the broker ignored as Kafka
   * does (librdkafka 2.x's all-topics MetadataRequest v9+, confluentinc/librdkafka#5049).
   */
  noteTrailingBytes(apiKey: number, bytes: number): void {
    let c = this.trailing.get(apiKey);
    if (c === undefined) {
      c = { api: apiSpecByKey(apiKey)?.name ?? String(apiKey), apiKey, requests: 0, bytes: 0 };
      this.trailing.set(apiKey, c);
    }
    c.requests++;
    c.bytes += bytes;
  }

  /** Requests with trailing bytes per API, by API key (copies: the caller may keep them). */
  trailingBytes(): TrailingBytesCounter[] {
    return [...this.trailing.values()].sort((a, b) => a.apiKey - b.apiKey).map((c) => ({ ...c }));
  }
}
