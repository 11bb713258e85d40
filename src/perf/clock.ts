/**
 * The load generator's one clock: microseconds since the Unix epoch, from the monotonic
 * `performance.now()` anchored at `performance.timeOrigin`. Monotonic within a process (so
 * intervals are right even if the wall clock steps) and comparable across processes on one
 * machine to within the anchors' skew, which is what e2e needs when the producer writes the
 * send time into a record and the consumer reads it back. A float: about 0.25 µs resolution
 * at today's epoch values.
 */
export function nowUs(): number {
  return (performance.timeOrigin + performance.now()) * 1000;
}
