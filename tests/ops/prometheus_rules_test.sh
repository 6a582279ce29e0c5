#!/usr/bin/env bash
# tests/ops/prometheus_rules_test.sh SOURCE_DIR: contrib/prometheus is what
# Prometheus accepts: the scrape configuration and the rules load
# (`promtool check`), and every alert fires on the series it is about and
# stays quiet on a healthy daemon (`promtool test rules`).
set -euo pipefail
src=$1
promtool=$(command -v promtool || true)
if [ -z "$promtool" ]; then promtool="$src/.cache/prometheus/usr/bin/promtool"; fi
if [ ! -x "$promtool" ]; then
  echo "promtool is not installed; run \`.ci/install-deps test\` (or \`make test-deps\`)" >&2
  exit 1
fi
cd "$src/contrib/prometheus"
"$promtool" check config prometheus.yml
"$promtool" check rules kryptod-rules.yml
"$promtool" test rules kryptod-rules.test.yml
