#!/usr/bin/env bash
# The client matrix: runs every suite under tests/clients/<client>/run.sh (each installs its pinned client
# versions from the registries, starts occam through common.sh in the modes it covers, and exits non-zero
# on a failure). `.ci/run` calls this after the tests; `tests/clients/run.sh python` runs one suite.
set -euo pipefail
cd "$(dirname "$0")"
suites=("$@")
if [ ${#suites[@]} -eq 0 ]; then
  for dir in */; do [ -x "$dir/run.sh" ] && suites+=("${dir%/}"); done
fi
failed=()
for suite in "${suites[@]}"; do
  echo "== client matrix: $suite"
  start=$SECONDS
  if bash "$suite/run.sh"; then
    echo "== $suite passed in $((SECONDS - start)) s"
  else
    echo "== $suite FAILED"
    failed+=("$suite")
  fi
done
[ ${#failed[@]} -eq 0 ] || { echo "client matrix failed: ${failed[*]}"; exit 1; }
echo "client matrix passed: ${suites[*]}"
