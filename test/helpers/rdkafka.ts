/**
 * librdkafka 2.15 for the tests: Confluent's JavaScript client (@confluentinc/kafka-javascript
 * 1.10.1, librdkafka 2.15.1), built into test/clients by scripts/install-test-tools.sh. Null
 * when it is not installed; its tests are then skipped, except under CI=true, where a missing
 * client fails them (`skipRdkafka` is false and `requireRdkafka` throws).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** test/clients/node_modules/@confluentinc/kafka-javascript, seen from test/helpers or dist/test/helpers. */
function find(): string | null {
  for (const up of ['../..', '../../..']) {
    const dir = path.resolve(here, up, 'test/clients/node_modules/@confluentinc/kafka-javascript');
    try {
      require.resolve(dir);
      return dir;
    } catch {
      // not there
    }
  }
  return null;
}

/** The client's module path, for child processes (`require(RDKAFKA_MODULE)`), or null. */
export const RDKAFKA_MODULE: string | null = find();

export const rdkafka: Record<string, unknown> | null = RDKAFKA_MODULE ? (require(RDKAFKA_MODULE) as Record<string, unknown>) : null;

/** True when the suite should skip librdkafka 2.15 tests: not built here, and not in CI (where that is a failure). */
export const skipRdkafka = rdkafka === null && process.env.CI !== 'true';

/** The client, or a clear failure (CI without the client). */
export function requireRdkafka(): Record<string, unknown> {
  if (!rdkafka) throw new Error('librdkafka 2.15 (@confluentinc/kafka-javascript in test/clients) is not built: run scripts/install-test-tools.sh');
  return rdkafka;
}
