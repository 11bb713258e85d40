/**
 * A CommonJS preload (for `node --require`) that makes the named modules fail to load, as on a
 * machine without a compiler or without an optional package: `require(name)` throws for a bare
 * name, and for a path ending in `/name` (an addon's .node file).
 */
export function blockModules(blocked: string[]): string {
  return `
const Module = require('module');
const load = Module._load;
const blocked = ${JSON.stringify(blocked)};
Module._load = function (request, ...rest) {
  if (blocked.some((b) => request === b || String(request).endsWith('/' + b))) throw new Error('blocked for test: ' + request);
  return load.call(this, request, ...rest);
};
`;
}
