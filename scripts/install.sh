#!/usr/bin/env bash
# Installs the project's npm dependencies and builds the native addons explicitly.
#
# mmap-io 1.1.7 pins -std=c++11, which fails against Node 20's headers; it builds with C++17.
# npm 11 may (now or in a later release) skip install scripts not covered by allowScripts, so
# after the install we check that each addon loads and rebuild it explicitly if it does not.
# Every addon is optional: if one still cannot be built, the engine falls back (file I/O
# instead of mmap; sse4_crc32 or pure-JS CRC-32C instead of native/crc32c; the zstd WebAssembly
# build instead of native/zstd) and says so in its log.
set -u
cd "$(dirname "$0")/.."
export CXXFLAGS="${CXXFLAGS:-} -std=c++17"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund || npm install --no-audit --no-fund || exit 1
else
  npm install --no-audit --no-fund || exit 1
fi

for addon in mmap-io sse4_crc32; do
  [ -d "node_modules/$addon" ] || { echo "install: optional addon $addon was not installed; using the fallback" >&2; continue; }
  if ! node -e "require('$addon')" >/dev/null 2>&1; then
    echo "install: building $addon explicitly (CXXFLAGS=$CXXFLAGS)" >&2
    (cd "node_modules/$addon" && npx --no-install node-gyp rebuild >/dev/null 2>&1) \
      || npm rebuild "$addon" --foreground-scripts >/dev/null 2>&1 \
      || true
    node -e "require('$addon')" >/dev/null 2>&1 \
      && echo "install: $addon built" >&2 \
      || echo "install: $addon could not be built; Tributary will use its fallback" >&2
  fi
done
# Tributary's own CRC-32C addon (native/crc32c, C, Node-API): built here with npm's own
# node-gyp against the local Node headers. Optional like the others: without it the engine
# uses sse4_crc32, or the JS CRC.
gyp="$(npm prefix -g 2>/dev/null)/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
nodedir="$(npm config get nodedir 2>/dev/null)"
if [ -f "$gyp" ]; then
  (cd native/crc32c && node "$gyp" rebuild ${nodedir:+--nodedir="$nodedir"} >/dev/null 2>&1) \
    && node -e "require('./native/crc32c/build/Release/tributary_crc32c.node').calculate" >/dev/null 2>&1 \
    && echo "install: native/crc32c built" >&2 \
    || echo "install: native/crc32c could not be built; Tributary will use sse4_crc32 or its JS CRC" >&2
else
  echo "install: npm's node-gyp not found; native/crc32c not built (sse4_crc32 or the JS CRC is used)" >&2
fi
# Tributary's zstd addon (native/zstd, C, Node-API) links the system libzstd. Its headers come
# from libzstd-dev (Debian/Ubuntu), installed here when missing and we run as root with apt-get;
# otherwise the addon is skipped and zstd runs on the WebAssembly build (docs/adr/0004).
has_zstd_h() { printf '#include <zstd.h>\n' | "${CC:-cc}" -E -x c - >/dev/null 2>&1; }
if ! has_zstd_h && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "install: installing libzstd-dev for native/zstd" >&2
  (apt-get install -y --no-install-recommends libzstd-dev >/dev/null 2>&1 \
    || { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends libzstd-dev >/dev/null 2>&1; }) \
    || echo "install: libzstd-dev could not be installed" >&2
fi
if [ -f "$gyp" ]; then
  (cd native/zstd && node "$gyp" rebuild ${nodedir:+--nodedir="$nodedir"} >/dev/null 2>&1) \
    && node -e "require('./native/zstd/build/Release/tributary_zstd.node').decompress" >/dev/null 2>&1 \
    && echo "install: native/zstd built" >&2 \
    || echo "install: native/zstd could not be built (is libzstd-dev installed?); Tributary will use the zstd WebAssembly build" >&2
else
  echo "install: npm's node-gyp not found; native/zstd not built (the zstd WebAssembly build is used)" >&2
fi
touch node_modules/.tributary-installed
