/**
 * Long-poll support for Fetch: a Fetch that found fewer than `minBytes` waits until data
 * arrives on one of its partitions or `maxWaitMs` passes, whichever is first.
 *
 * The storage engine tells us when a partition's end offset grows (`notify`); every waiter
 * watching that partition is woken and re-reads. Waiters are kept per partition key, so an
 * append wakes only the fetches that care; a timer per waiter (unref'd) ends the wait.
 */

type Wake = () => void;

interface Waiter {
  keys: string[];
  wake: Wake;
  timer: NodeJS.Timeout;
  done: boolean;
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export class FetchWaiters {
  private readonly byKey = new Map<string, Set<Waiter>>();

  /**
   * Waits until one of `keys` is notified or `maxWaitMs` passes.
   * Resolves 'data' or 'timeout'.
   */
  wait(keys: string[], maxWaitMs: number): Promise<'data' | 'timeout'> {
    return new Promise((resolve) => {
      const w: Waiter = {
        keys,
        done: false,
        wake: () => finish('data'),
        timer: setTimeout(() => finish('timeout'), maxWaitMs),
      };
      const finish = (why: 'data' | 'timeout'): void => {
        if (w.done) return;
        w.done = true;
        clearTimeout(w.timer);
        for (const k of w.keys) {
          const set = this.byKey.get(k);
          if (!set) continue;
          set.delete(w);
          if (set.size === 0) this.byKey.delete(k);
        }
        resolve(why);
      };
      for (const k of keys) {
        let set = this.byKey.get(k);
        if (!set) {
          set = new Set();
          this.byKey.set(k, set);
        }
        set.add(w);
      }
    });
  }

  /** Wakes every waiter watching `key`. */
  notify(key: string): void {
    const set = this.byKey.get(key);
    if (!set) return;
    for (const w of [...set]) w.wake();
  }

  /** Wakes every waiter (shutdown). */
  wakeAll(): void {
    for (const set of [...this.byKey.values()]) for (const w of [...set]) w.wake();
  }

  /** Waiters currently registered (tests, metrics). */
  get size(): number {
    const all = new Set<Waiter>();
    for (const set of this.byKey.values()) for (const w of set) all.add(w);
    return all.size;
  }
}
