/**
 * `tributary groups list` and `tributary groups describe <group>`: consumer groups and their
 * lag, like kafka-consumer-groups.sh, against any Kafka-compatible broker.
 *
 * describe prints one row per committed or assigned partition:
 *   TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID
 * where CURRENT-OFFSET is the group's committed offset (OffsetFetch), LOG-END-OFFSET the
 * partition's high watermark (ListOffsets latest) and LAG their difference ('-' when the
 * group has committed nothing for the partition).
 */
import { parseArgs } from 'node:util';
import { KafkaConnection } from '../client/kafka-connection.js';

export interface LagRow {
  topic: string;
  partition: number;
  currentOffset: number | null;
  logEndOffset: number;
  lag: number | null;
  consumerId: string;
  host: string;
  clientId: string;
}

export interface GroupReport {
  group: string;
  state: string;
  members: number;
  rows: LagRow[];
}

/** Decodes Kafka's ConsumerProtocolAssignment: version, [topic, [partition]], userData. */
export function decodeAssignment(b: Buffer): Map<string, number[]> {
  const out = new Map<string, number[]>();
  if (b.length < 6) return out;
  let pos = 2;
  const topics = b.readInt32BE(pos);
  pos += 4;
  for (let t = 0; t < topics && pos + 2 <= b.length; t++) {
    const n = b.readInt16BE(pos);
    const topic = b.toString('utf8', pos + 2, pos + 2 + n);
    pos += 2 + n;
    const count = b.readInt32BE(pos);
    pos += 4;
    const parts: number[] = [];
    for (let i = 0; i < count && pos + 4 <= b.length; i++, pos += 4) parts.push(b.readInt32BE(pos));
    out.set(topic, parts);
  }
  return out;
}

export async function describeGroup(conn: KafkaConnection, group: string): Promise<GroupReport> {
  const described = (await conn.request('DescribeGroups', 1, { groups: [group] })).groups[0]!;
  const owners = new Map<string, { consumerId: string; host: string; clientId: string }>();
  for (const m of described.members) {
    if (described.protocolType !== 'consumer') continue;
    for (const [topic, parts] of decodeAssignment(m.memberAssignment)) {
      for (const p of parts) owners.set(`${topic}\u0000${p}`, { consumerId: m.memberId, host: m.clientHost, clientId: m.clientId });
    }
  }
  const committed = await conn.request('OffsetFetch', 3, { groupId: group, topics: null });
  const wanted = new Map<string, Set<number>>();
  const add = (topic: string, p: number) => {
    const s = wanted.get(topic) ?? new Set<number>();
    s.add(p);
    wanted.set(topic, s);
  };
  for (const t of committed.topics) for (const p of t.partitions) if (p.committedOffset >= 0) add(t.name, p.partitionIndex);
  for (const key of owners.keys()) {
    const [topic, p] = key.split('\u0000') as [string, string];
    add(topic, Number(p));
  }
  const ends = await conn.request('ListOffsets', 1, {
    replicaId: -1,
    topics: [...wanted].map(([name, ps]) => ({ name, partitions: [...ps].map((partitionIndex) => ({ partitionIndex, timestamp: -1 })) })),
  });
  const endOf = new Map<string, number>();
  for (const t of ends.topics) for (const p of t.partitions) endOf.set(`${t.name}\u0000${p.partitionIndex}`, p.offset);
  const commitOf = new Map<string, number>();
  for (const t of committed.topics) for (const p of t.partitions) if (p.committedOffset >= 0) commitOf.set(`${t.name}\u0000${p.partitionIndex}`, p.committedOffset);

  const rows: LagRow[] = [];
  for (const [topic, ps] of [...wanted].sort(([a], [b]) => a.localeCompare(b))) {
    for (const partition of [...ps].sort((a, b) => a - b)) {
      const key = `${topic}\u0000${partition}`;
      const current = commitOf.get(key) ?? null;
      const end = endOf.get(key) ?? -1;
      const owner = owners.get(key);
      rows.push({
        topic,
        partition,
        currentOffset: current,
        logEndOffset: end,
        lag: current === null || end < 0 ? null : Math.max(0, end - current),
        consumerId: owner?.consumerId ?? '-',
        host: owner?.host ?? '-',
        clientId: owner?.clientId ?? '-',
      });
    }
  }
  return { group, state: described.groupState, members: described.members.length, rows };
}

export function formatReport(r: GroupReport): string {
  const header = ['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'];
  const cells = r.rows.map((x) => [x.topic, String(x.partition), x.currentOffset === null ? '-' : String(x.currentOffset), String(x.logEndOffset), x.lag === null ? '-' : String(x.lag), x.consumerId, x.host, x.clientId]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [`GROUP ${r.group}  STATE ${r.state}  MEMBERS ${r.members}`, '', line(header), ...cells.map(line)].join('\n') + '\n';
}

const USAGE = `usage: tributary groups list [--bootstrap HOST:PORT]
       tributary groups describe GROUP [--bootstrap HOST:PORT] [--json]
`;

export async function groupsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { bootstrap: { type: 'string' }, json: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  const [sub, group] = positionals;
  const [host, portText] = (values.bootstrap ?? `${process.env.TRIBUTARY_HOST ?? '127.0.0.1'}:${process.env.TRIBUTARY_PORT ?? '9092'}`).split(':');
  const port = Number(portText);
  if (!host || !Number.isInteger(port)) {
    process.stderr.write(`tributary groups: --bootstrap must be HOST:PORT\n`);
    return 2;
  }
  if (sub !== 'list' && !(sub === 'describe' && group)) {
    process.stderr.write(USAGE);
    return 2;
  }
  const conn = await KafkaConnection.connect({ host, port, clientId: 'tributary-groups' });
  try {
    if (sub === 'list') {
      const r = await conn.request('ListGroups', 1, {});
      for (const g of r.groups) process.stdout.write(`${g.groupId}\n`);
      return 0;
    }
    const report = await describeGroup(conn, group!);
    process.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
    return 0;
  } finally {
    conn.close();
  }
}
