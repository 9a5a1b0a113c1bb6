#!/usr/bin/env bash
# Differential SQL fuzzer: random queries over a fixed, NULL-heavy schema (joins, subqueries, aggregates,
# windows, CTEs, set operations, DISTINCT ON, ORDER BY ... LIMIT) run on occam and on a PostgreSQL 15
# started here, for MINUTES (default 1) from SEED (default random). Every difference in results or in
# SQLSTATE class goes to target/fuzz_sql/report-SEED.txt, with a replay command for each
# (crates/occam-server/examples/fuzz_sql/). Exits non-zero on a wrong answer, an error-class mismatch or
# an occam crash; occam's 0A000 refusals, float rounding and timeouts are reported without failing.
#
#   bench/fuzz_sql.sh                     # 1 minute, random seed
#   bench/fuzz_sql.sh 10 42               # 10 minutes from seed 42
#   FUZZ_COMPAT=dsql bench/fuzz_sql.sh 5  # occam in its default Aurora DSQL mode (default: --compat postgres,
#                                         # so DSQL's refusals do not drown the signal)
#   FUZZ_PROFILE=debug bench/fuzz_sql.sh  # debug builds (CI: what `cargo test --workspace` already built)
#   FUZZ_COUNT=1200 bench/fuzz_sql.sh 1 7 # at most 1200 queries (CI: the same queries on a faster machine)
#
# Skipped (exit 0, with a message) where PostgreSQL's server binaries are not installed.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-1}
seed=${2:-$(( (RANDOM << 15) | RANDOM ))}
compat=${FUZZ_COMPAT:-postgres}
profile=${FUZZ_PROFILE:-release}

pg_bin=${PG_BIN:-$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)}
[ -x "$pg_bin/postgres" ] || pg_bin=/usr/lib/postgresql/15/bin
if [ ! -x "$pg_bin/postgres" ] || [ ! -x "$pg_bin/initdb" ]; then
  echo "fuzz_sql: skipped: PostgreSQL's server binaries (initdb, postgres) are not installed"
  exit 0
fi

case $profile in
  release) build=(--release); dir=target/release ;;
  debug) build=(); dir=target/debug ;;
  *) echo "fuzz_sql: FUZZ_PROFILE must be release or debug" >&2; exit 2 ;;
esac
echo "fuzz_sql: building occam and the fuzzer ($profile)..." >&2
cargo build "${build[@]}" -q -p occam-server --bin occam --example fuzz_sql

source bench/common.sh
start_postgres
# occam compares text bytewise: the reference database uses the C collation too.
psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres \
  -c "CREATE DATABASE fuzzsql TEMPLATE template0 LOCALE 'C' ENCODING 'UTF8'"

echo "starting occam (--compat $compat, in memory) on port $OCCAM_PORT..." >&2
"$dir/occam" serve --listen "127.0.0.1:$OCCAM_PORT" --in-memory --compat "$compat" >"$WORK/occam.log" 2>&1 &
OCCAM_PID=$!
wait_ready 127.0.0.1 "$OCCAM_PORT" admin

mkdir -p target/fuzz_sql
report=target/fuzz_sql/report-$seed.txt
dsql_flag=()
[ "$compat" = dsql ] && dsql_flag=(--occam-dsql)
count_flag=()
[ -n "${FUZZ_COUNT:-}" ] && count_flag=(--count "$FUZZ_COUNT")
status=0
"$dir/examples/fuzz_sql" \
  --occam "host=127.0.0.1 port=$OCCAM_PORT user=admin password=x dbname=postgres" \
  --postgres "host=127.0.0.1 port=$PG_PORT user=postgres dbname=fuzzsql" \
  --seed "$seed" --seconds $((minutes * 60)) --report "$report" "${dsql_flag[@]}" "${count_flag[@]}" || status=$?
if ! kill -0 "$OCCAM_PID" 2>/dev/null; then
  echo "fuzz_sql: occam exited; the end of its log:" >&2
  tail -30 "$WORK/occam.log" >&2
  status=1
fi
echo "fuzz_sql: replay one query with: $dir/examples/fuzz_sql --seed $seed --start N --count 1 --print"
exit "$status"
