#!/usr/bin/env bash
# The Node.js clients of the client matrix: installs the pinned versions (package-lock.json) with `npm ci`,
# then runs every tests/*.test.js with Node's built-in test runner against a fresh occam in each mode
# (OCCAM_MODE tells the tests which rules apply). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")"
source ../common.sh

# npm ci reinstalls from scratch; skip it when node_modules was installed from this very lock file.
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.occam-lock-sum 2>/dev/null)" != "$lock_sum" ]; then
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  echo "$lock_sum" >node_modules/.occam-lock-sum
fi

status=0
for mode in postgres dsql; do
  occam_start "$mode"
  node --test --test-concurrency=1 --test-timeout=60000 --test-reporter=spec tests/ || status=1
  occam_stop
done
exit $status
