// One lint config. Besides the usual rules it enforces the layering of src/ (docs/architecture.md):
//   format/   pure: no I/O, imports nothing above it
//   protocol/ pure: format/ only
//   workers/  format/ only (the only importer of piscina)
//   storage/  format/ and workers/
//   client/, perf/, tools/   protocol/, format/ and client/ only
//   server/   anything below it, but storage/ only through its public index
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const io = ['node:fs', 'node:fs/promises', 'node:net', 'node:child_process', 'node:worker_threads', 'fs', 'net'];
const layer = (patterns, paths = []) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: patterns, message: 'layering: see eslint.config.js' }], paths }],
});
const noPiscina = [{ name: 'piscina', message: 'only src/workers/pool.ts imports piscina' }];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  { files: ['src/format/**'], rules: layer(['**/storage/**', '**/protocol/**', '**/workers/**', '**/server/**'], [...io.map((name) => ({ name, message: 'format/ is pure' })), ...noPiscina]) },
  { files: ['src/protocol/**'], rules: layer(['**/storage/**', '**/workers/**', '**/server/**'], [...io.map((name) => ({ name, message: 'protocol/ is pure' })), ...noPiscina]) },
  { files: ['src/workers/**'], rules: layer(['**/storage/**', '**/protocol/**', '**/server/**']) },
  { files: ['src/storage/**'], rules: layer(['**/protocol/**', '**/server/**'], noPiscina) },
  { files: ['src/client/**'], rules: layer(['**/storage/**', '**/workers/**', '**/server/**'], noPiscina) },
  { files: ['src/perf/**'], rules: layer(['**/storage/**', '**/workers/**', '**/server/**'], noPiscina) },
  { files: ['src/tools/**'], rules: layer(['**/storage/**', '**/workers/**', '**/server/**'], noPiscina) },
  { files: ['src/server/**'], rules: layer(['**/storage/*', '!**/storage/index.js'], noPiscina) },
  { files: ['test/**', 'native-free-bench/**'], rules: { '@typescript-eslint/no-non-null-assertion': 'off' } },
);
