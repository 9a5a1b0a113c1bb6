# Shared by the benchmark scripts (sourced, not run): start a PostgreSQL 15 and an occam side by side in a
# scratch directory, each with bench/schema.sql loaded, and stop them on exit.
#
#   start_postgres      PostgreSQL on $PG_PORT (REPEATABLE READ, fsync and synchronous_commit on), data in $WORK/pg
#   start_occam [ARGS]  target/release/occam on $OCCAM_PORT, data in $WORK/occam (PID in $OCCAM_PID)
#   median_ms SQL PSQL...   median of RUNS timed runs of SQL;   load_seconds PSQL...   time to run $WORK/load.sql
PG_BIN=${PG_BIN:-$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)}
[ -x "$PG_BIN/postgres" ] || PG_BIN=/usr/lib/postgresql/15/bin
PG_PORT=${PG_PORT:-55432}
OCCAM_PORT=${OCCAM_PORT:-55433}
# The PostgreSQL started here has no TLS while occam offers it: compare both in plaintext.
export PGSSLMODE=${PGSSLMODE:-disable}
WORK=$(mktemp -d /tmp/occam-bench.XXXXXX)
chmod 777 "$WORK"

cleanup() {
  [ -n "${OCCAM_PID:-}" ] && kill "$OCCAM_PID" 2>/dev/null || true
  if [ -d "$WORK/pg" ]; then as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg" -m fast stop >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# initdb and postgres refuse to run as root.
as_pg() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$(printf '%q ' "$@")"; else "$@"; fi
}

wait_ready() { # host port user
  for _ in $(seq 1 300); do
    PGPASSWORD=x psql -h "$1" -p "$2" -U "$3" -d postgres -Atc 'SELECT 1' >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server on port $2 did not become ready" >&2
  return 1
}

build_occam() {
  echo "building occam (release)..." >&2
  cargo build --release -q -p occam-server
}

start_postgres() {
  echo "starting PostgreSQL 15 on port $PG_PORT..." >&2
  as_pg "$PG_BIN/initdb" -D "$WORK/pg" -U postgres --auth=trust >/dev/null
  as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg.log" -w \
    -o "-p $PG_PORT -k $WORK -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=on -c synchronous_commit=on -c shared_buffers=256MB" \
    start >/dev/null
  wait_ready 127.0.0.1 "$PG_PORT" postgres
  psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -f bench/schema.sql
  psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres \
    -c "ALTER DATABASE postgres SET default_transaction_isolation = 'repeatable read'"
}

stop_postgres() {
  as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg" -m fast stop >/dev/null
}

start_occam() { # extra serve arguments
  echo "starting occam on port $OCCAM_PORT..." >&2
  target/release/occam serve --listen "127.0.0.1:$OCCAM_PORT" --data-dir "$WORK/occam" "$@" >"$WORK/occam.log" 2>&1 &
  OCCAM_PID=$!
  wait_ready 127.0.0.1 "$OCCAM_PORT" admin
  PGPASSWORD=x psql -q -h 127.0.0.1 -p "$OCCAM_PORT" -U admin -d postgres -v ON_ERROR_STOP=1 -f bench/schema.sql
}

stop_occam() {
  kill "$OCCAM_PID"
  wait "$OCCAM_PID" 2>/dev/null || true
  OCCAM_PID=
}

# Median of the "Time: x ms" lines psql prints for RUNS runs of one statement, after one warm-up run.
median_ms() { # sql psql...
  local sql=$1
  shift
  local script
  script=$(mktemp "$WORK/q.XXXXXX")
  {
    echo "$sql;"
    echo '\timing on'
    for ((i = 0; i < RUNS; i++)); do echo "$sql;"; done
  } >"$script"
  "$@" -o /dev/null -f "$script" | sed -nE 's/^Time: ([0-9.]+) ms.*/\1/p' | sort -n |
    awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

# Seconds psql takes to run the script $WORK/load.sql.
load_seconds() { # psql...
  local started ended
  started=$(date +%s.%N)
  "$@" -f "$WORK/load.sql" >/dev/null
  ended=$(date +%s.%N)
  awk -v a="$started" -v b="$ended" 'BEGIN { printf "%.1f", b - a }'
}

# CPU time (clock ticks) used so far by occam and by PostgreSQL's postmaster and its children.
server_cpu_ticks() {
  local pids="${OCCAM_PID:-}"
  if [ -f "$WORK/pg/postmaster.pid" ]; then
    local postmaster
    postmaster=$(head -1 "$WORK/pg/postmaster.pid")
    pids="$pids $postmaster $(ps -o pid= --ppid "$postmaster" | tr '\n' ' ')"
  fi
  for pid in $pids; do cat "/proc/$pid/stat" 2>/dev/null; done | awk '{ t += $14 + $15 } END { print t + 0 }'
}

# Waits (at most MAX seconds, default 180) until both servers used under a twentieth of a core for two
# seconds in a row: what a load leaves running (occam's compactions and automatic ANALYZE, PostgreSQL's
# autovacuum and checkpointer) then no longer shares the cores with the queries being timed. Prints the
# seconds waited to stderr.
wait_until_idle() {
  local max=${1:-180} waited=0 quiet=0 before after
  local ticks_per_second
  ticks_per_second=$(getconf CLK_TCK)
  before=$(server_cpu_ticks)
  while ((waited < max && quiet < 2)); do
    sleep 1
    waited=$((waited + 1))
    after=$(server_cpu_ticks)
    if ((20 * (after - before) < ticks_per_second)); then quiet=$((quiet + 1)); else quiet=0; fi
    before=$after
  done
  echo "servers idle after ${waited}s" >&2
}
