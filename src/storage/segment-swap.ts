/**
 * Swapping a cleaned segment in place of the one it was cleaned from (Kafka's `.cleaned` ->
 * `.swap` -> final protocol), and finishing or rolling back a swap a crash interrupted.
 *
 * Files of segment `<base>` during a swap, in the order they are created:
 *   1. `<base>.log.cleaned`, `.index.cleaned`, `.timeindex.cleaned`: written and fsync'ed by
 *      the log cleaner (the old `<base>.log` is untouched and still live).
 *   2. `.index.cleaned` -> `.index.swap`, `.timeindex.cleaned` -> `.timeindex.swap`.
 *   3. `.log.cleaned` -> `.log.swap`, then fsync of the directory. **This rename is the commit
 *      point**: from here on the cleaned segment replaces the old one.
 *   4. `.index.swap` -> `.index`, `.timeindex.swap` -> `.timeindex`, `.log.swap` -> `.log`
 *      (each rename atomically replaces the old file), then fsync of the directory.
 *
 * Crash behaviour (`recoverSwaps`, run before a partition's segments are opened): for a base
 * with a `.log.swap`, the swap committed: it is renamed over `<base>.log`. For a base with
 * leftovers but no `.log.swap`, the swap did not commit (or already finished): the
 * leftovers are deleted and `<base>.log` stays what it is. Either way the `.log` is wholly
 * the old or wholly the new segment, and index files are never trusted across a swap: every
 * base that had leftovers is returned so the loader rebuilds its indexes from the log.
 *
 * Concurrency: `commitSwap` and `finishSwap` are called by the owning PartitionLog inside its mutation chain
 * (nothing else touches that segment's files meanwhile); readers of the old segment keep
 * its open descriptor or mapping, which outlive the rename.
 */
import fs from 'node:fs';
import path from 'node:path';
import { storageIoError } from '../errors.js';
import type { Logger } from '../logger.js';
import { fsyncDir } from './durable-fs.js';
import { INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX, segmentFileName } from './log-segment.js';

export const CLEANED_SUFFIX = '.cleaned';
export const SWAP_SUFFIX = '.swap';

const SWAP_FILE = /^(\d{20})\.(log|index|timeindex)\.(cleaned|swap)$/;

function rename(from: string, to: string): Promise<void> {
  return fs.promises.rename(from, to).catch((err: unknown) => {
    throw storageIoError(`rename ${from}`, err, { from, to });
  });
}

/** Path of `<base><suffix><extra>` in `dir`. */
export function segmentPath(dir: string, baseOffset: number, suffix: string, extra = ''): string {
  return path.join(dir, segmentFileName(baseOffset, suffix) + extra);
}

/** Steps 2 and 3 above, for `.cleaned` files that are complete and synced: the cleaned segment is committed when this resolves. */
export async function commitSwap(dir: string, baseOffset: number): Promise<void> {
  const p = (suffix: string, extra = '') => segmentPath(dir, baseOffset, suffix, extra);
  await rename(p(INDEX_SUFFIX, CLEANED_SUFFIX), p(INDEX_SUFFIX, SWAP_SUFFIX));
  await rename(p(TIME_INDEX_SUFFIX, CLEANED_SUFFIX), p(TIME_INDEX_SUFFIX, SWAP_SUFFIX));
  await rename(p(LOG_SUFFIX, CLEANED_SUFFIX), p(LOG_SUFFIX, SWAP_SUFFIX));
  await fsyncDir(dir);
}

/** Step 4 above: the `.swap` files replace the live ones, indexes first, the log last. */
export async function finishSwap(dir: string, baseOffset: number): Promise<void> {
  const p = (suffix: string, extra = '') => segmentPath(dir, baseOffset, suffix, extra);
  await rename(p(INDEX_SUFFIX, SWAP_SUFFIX), p(INDEX_SUFFIX));
  await rename(p(TIME_INDEX_SUFFIX, SWAP_SUFFIX), p(TIME_INDEX_SUFFIX));
  await rename(p(LOG_SUFFIX, SWAP_SUFFIX), p(LOG_SUFFIX));
  await fsyncDir(dir);
}

/** Removes the `.cleaned` files of `baseOffset` (an abandoned clean); missing files are fine. */
export async function removeCleaned(dir: string, baseOffset: number): Promise<void> {
  await Promise.all(
    [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX].map((s) => fs.promises.rm(segmentPath(dir, baseOffset, s, CLEANED_SUFFIX), { force: true })),
  );
}

/**
 * Completes committed swaps and rolls back the others (see the header). Returns the base
 * offsets whose indexes must be rebuilt.
 */
export async function recoverSwaps(dir: string, log: Logger): Promise<Set<number>> {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    throw storageIoError(`list ${dir}`, err, { path: dir });
  }
  const byBase = new Map<number, Set<string>>();
  for (const name of names) {
    const m = SWAP_FILE.exec(name);
    if (!m) continue;
    const base = Number(m[1]);
    if (!byBase.has(base)) byBase.set(base, new Set());
    byBase.get(base)!.add(`${m[2]}.${m[3]}`);
  }
  if (byBase.size === 0) return new Set();
  const rm = (file: string) =>
    fs.promises.rm(file, { force: true }).catch((err: unknown) => {
      throw storageIoError(`remove ${file}`, err, { path: file });
    });
  for (const [base, files] of byBase) {
    const p = (suffix: string, extra = '') => segmentPath(dir, base, suffix, extra);
    const committed = files.has('log.swap');
    if (committed) await rename(p(LOG_SUFFIX, SWAP_SUFFIX), p(LOG_SUFFIX));
    for (const suffix of [INDEX_SUFFIX, TIME_INDEX_SUFFIX]) {
      await rm(p(suffix, CLEANED_SUFFIX));
      await rm(p(suffix, SWAP_SUFFIX));
      // The live index may belong to the other version of the log: rebuilt by the loader.
      await rm(p(suffix));
    }
    await rm(p(LOG_SUFFIX, CLEANED_SUFFIX));
    log.warn({ dir, segment: base, committed }, committed ? 'completed an interrupted segment swap (log cleaner)' : 'rolled back an interrupted segment swap (log cleaner)');
  }
  await fsyncDir(dir);
  return new Set(byBase.keys());
}
