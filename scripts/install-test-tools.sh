#!/usr/bin/env bash
# Installs what the test suite drives besides the npm dev dependencies, when missing:
#  - Debian packages: kcat (librdkafka 2.0.2), lz4 and zstd (CLI interop), confluent-kafka-python
#    and kafka-python (clients in their own languages), and the -dev libraries librdkafka
#    builds against;
#  - test/clients: @confluentinc/kafka-javascript 1.10.1, whose npm package carries librdkafka
#    2.15.1's source; its prebuilt binaries are downloaded from GitHub (unreachable here), so it
#    is built from that source, linked against Debian's libraries (CKJS_LINKING=dynamic; about
#    90 s on 2 cores), once.
# Every step is best effort: a test whose tool is missing is skipped locally and fails under CI=true.
set -u
cd "$(dirname "$0")/.."
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

debs=()
command -v kcat >/dev/null || debs+=(kcat)
command -v lz4 >/dev/null || debs+=(lz4)
command -v zstd >/dev/null || debs+=(zstd)
/usr/bin/python3 -c 'import confluent_kafka' >/dev/null 2>&1 || debs+=(python3-confluent-kafka)
/usr/bin/python3 -c 'import kafka' >/dev/null 2>&1 || debs+=(python3-kafka)
for h in openssl/ssl.h zlib.h zstd.h lz4.h sasl/sasl.h; do
  [ -f "/usr/include/$h" ] || { case $h in
    openssl/ssl.h) debs+=(libssl-dev) ;; zlib.h) debs+=(zlib1g-dev) ;; zstd.h) debs+=(libzstd-dev) ;;
    lz4.h) debs+=(liblz4-dev) ;; sasl/sasl.h) debs+=(libsasl2-dev) ;; esac; }
done
if [ ${#debs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "install-test-tools: apt-get install ${debs[*]}" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${debs[@]}") >/dev/null 2>&1 \
      || echo "install-test-tools: could not install ${debs[*]}; their tests will be skipped" >&2
  else
    echo "install-test-tools: missing ${debs[*]} (needs root and apt-get); their tests will be skipped" >&2
  fi
fi

ckjs=test/clients/node_modules/@confluentinc/kafka-javascript
if ! node -e "require('./$ckjs')" >/dev/null 2>&1; then
  echo "install-test-tools: building @confluentinc/kafka-javascript (librdkafka 2.15.1) in test/clients" >&2
  (cd test/clients && CKJS_LINKING=dynamic npm ci --no-audit --no-fund >/dev/null 2>&1) \
    && node -e "require('./$ckjs')" >/dev/null 2>&1 \
    && echo "install-test-tools: librdkafka $(node -p "require('./$ckjs').librdkafkaVersion") built" >&2 \
    || echo "install-test-tools: @confluentinc/kafka-javascript could not be built; its tests will be skipped" >&2
fi
mkdir -p node_modules && touch node_modules/.tributary-test-tools
