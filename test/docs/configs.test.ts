/**
 * docs/configs.md's table of topic configs must be exactly the one rendered from the config
 * table (src/storage/topic-config.ts), so it cannot go stale. After editing the table:
 * `UPDATE_DOCS=1 npx vitest run test/docs/configs.test.ts` rewrites it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TOPIC_CONFIGS } from '../../src/storage/index.js';

const DOC = new URL('../../docs/configs.md', import.meta.url);
const BEGIN = '<!-- topic-configs:begin (generated from src/storage/topic-config.ts; see test/docs/configs.test.ts) -->';
const END = '<!-- topic-configs:end -->';

function renderTable(): string {
  const cell = (s: string) => (s === '' ? '""' : s.replace(/\|/g, '\\|'));
  const rows = TOPIC_CONFIGS.map((s) => {
    const kafka = s.kafkaDefault ?? s.default;
    const ours = s.kafkaDefault === undefined ? 'same' : cell(s.default);
    return `| \`${s.name}\` | ${s.type} | ${cell(kafka)} | ${ours} | ${s.brokerSynonym === null ? '-' : `\`${s.brokerSynonym}\``} | ${s.effect} | ${s.note} |`;
  });
  return ['| Config | Type | Kafka default | Tributary default | Broker setting | Effect | What Tributary does |', '|---|---|---|---|---|---|---|', ...rows].join('\n');
}

describe('docs/configs.md', () => {
  it('lists every topic config with its default and what Tributary does with it', () => {
    const text = readFileSync(DOC, 'utf8');
    const start = text.indexOf(BEGIN);
    const end = text.indexOf(END);
    expect(start, 'begin marker').toBeGreaterThanOrEqual(0);
    expect(end, 'end marker').toBeGreaterThan(start);
    const current = text.slice(start + BEGIN.length, end).trim();
    if (process.env.UPDATE_DOCS && current !== renderTable()) {
      writeFileSync(DOC, `${text.slice(0, start + BEGIN.length)}\n${renderTable()}\n${text.slice(end)}`);
      return;
    }
    expect(current).toBe(renderTable());
  });
});
