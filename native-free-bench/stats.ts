/**
 * Summaries of repeated measurements. The harness reports medians because a shared machine
 * produces outliers in one direction (slower), and shows min–max so the noise stays visible.
 */

export interface Summary {
  median: number;
  min: number;
  max: number;
  /** (max - min) / median: 0 for one run, NaN for an empty or zero-median set. */
  spread: number;
  runs: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { median: NaN, min: NaN, max: NaN, spread: NaN, runs: 0 };
  const m = median(values);
  const min = Math.min(...values);
  const max = Math.max(...values);
  return { median: m, min, max, spread: m === 0 ? NaN : (max - min) / m, runs: values.length };
}
