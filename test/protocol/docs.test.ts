/**
 * docs/protocol.md's table of supported APIs must be exactly the one rendered from
 * api-keys.ts and the schema tables, so it cannot go stale. To update it after editing
 * api-keys.ts: `UPDATE_DOCS=1 npx vitest run test/protocol/docs.test.ts` rewrites the table.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_SPECS, SUPPORTED_APIS } from '../../src/protocol/index.js';

const DOC = new URL('../../docs/protocol.md', import.meta.url);
const BEGIN = '<!-- supported-apis:begin (generated from src/protocol/api-keys.ts; see test/protocol/docs.test.ts) -->';
const END = '<!-- supported-apis:end -->';

function renderTable(): string {
  const rows = SUPPORTED_APIS.map((a) => {
    const spec = API_SPECS[a.name];
    return `| ${a.name} | ${a.apiKey} | ${a.minVersion}-${a.maxVersion} | ${spec.request.validVersions} | ${spec.request.flexibleVersions} |`;
  });
  return ['| API | Key | Broker supports | Tables define | Flexible from |', '|---|---|---|---|---|', ...rows].join('\n');
}

describe('docs/protocol.md', () => {
  it('lists exactly the supported APIs and versions', () => {
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
