/**
 * A per-data-directory file of one offset per partition (Kafka's OffsetCheckpointFile), used
 * for `recovery-point-offset-checkpoint` and `log-start-offset-checkpoint`.
 *
 * On-disk format (text, as Kafka writes it):
 *   0                      version
 *   <n>                    number of entries
 *   <topic> <partition> <offset>    n lines
 *
 * Crash behaviour: written atomically (durable-fs.ts); a file that does not parse is
 * ignored with a warning, which is safe for both uses: a missing recovery point means
 * "recover everything", a missing log start offset means "the first segment's base".
 * Concurrency: `write` calls are serialised; the last one wins.
 */
import fs from 'node:fs';
import type { Logger } from '../logger.js';
import { writeFileAtomic } from './durable-fs.js';

const VERSION = 0;

export type PartitionOffsets = Map<string, number>;

/** Key of a partition in checkpoint maps. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic} ${partition}`;
}

export class OffsetCheckpoint {
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly log: Logger,
  ) {}

  read(): PartitionOffsets {
    const out: PartitionOffsets = new Map();
    let text: string;
    try {
      text = fs.readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') this.log.warn({ err, path: this.path }, 'cannot read offset checkpoint; ignoring it');
      return out;
    }
    const lines = text.split('\n').filter((l) => l.length > 0);
    const count = Number(lines[1]);
    if (lines[0] !== String(VERSION) || !Number.isInteger(count) || lines.length !== count + 2) {
      this.log.warn({ path: this.path }, 'malformed offset checkpoint; ignoring it');
      return out;
    }
    for (const line of lines.slice(2)) {
      const parts = line.split(' ');
      const partition = Number(parts[1]);
      const offset = Number(parts[2]);
      if (parts.length !== 3 || !Number.isInteger(partition) || !Number.isSafeInteger(offset) || offset < 0) {
        this.log.warn({ path: this.path, line }, 'malformed offset checkpoint; ignoring it');
        return new Map();
      }
      out.set(partitionKey(parts[0]!, partition), offset);
    }
    return out;
  }

  write(offsets: PartitionOffsets): Promise<void> {
    const lines = [String(VERSION), String(offsets.size)];
    for (const [key, offset] of offsets) lines.push(`${key} ${offset}`);
    const text = lines.join('\n') + '\n';
    const next = this.queue.then(() => writeFileAtomic(this.path, text));
    this.queue = next.catch(() => undefined);
    return next;
  }
}
