import type { Broker, BrokerOptions } from '../../src/server/broker.js';
import { startBroker } from '../../src/server/broker.js';
import { KafkaConnection } from '../../src/client/kafka-connection.js';
import { tmpDir } from './tmp-dir.js';

/** A real broker on a free loopback port over a fresh data directory. */
export async function testBroker(opts: Partial<BrokerOptions> = {}): Promise<{ broker: Broker; dir: string; stop: () => Promise<void>; connect: () => Promise<KafkaConnection> }> {
  const t = tmpDir();
  const broker = await startBroker({ dataDir: t.dir, port: 0, host: '127.0.0.1', ...opts });
  const opened: KafkaConnection[] = [];
  return {
    broker,
    dir: t.dir,
    connect: async () => {
      const c = await KafkaConnection.connect({ host: '127.0.0.1', port: broker.port });
      opened.push(c);
      return c;
    },
    stop: async () => {
      for (const c of opened) c.close();
      await broker.close();
      t.cleanup();
    },
  };
}
