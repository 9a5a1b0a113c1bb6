#!/usr/bin/env bash
# The SIGKILL crash test (crates/occam-server/tests/crash.rs) for many cycles on a release build: a bank
# under concurrent transfers and background jobs (CREATE INDEX ASYNC, DROP INDEX, ANALYZE) is killed at a
# random moment and restarted, CYCLES times, and checked after every restart. Prints each cycle, the seed,
# and the acknowledged commits checked. CI runs the same test with 3 cycles.
#
#   bench/crash_cycles.sh            # 100 cycles
#   bench/crash_cycles.sh 20
#   OCCAM_CRASH_SEED=1234 bench/crash_cycles.sh 100    # replay a run's random choices
set -euo pipefail
cd "$(dirname "$0")/.."
export OCCAM_CRASH_CYCLES=${1:-100}
exec cargo test --release -q -p occam-server --test crash -- --nocapture
