#!/usr/bin/env bash
# Soak test: the workshop's transfer workload (bench/transfer.sql under pgbench, 32 clients, prepared
# statements) for MINUTES minutes against occam, then the same against PostgreSQL 15 (autovacuum on, as
# configured by default), one system at a time so they do not compete for the machine. Every minute it
# prints the throughput of that minute, the data directory's size, the time of a full scan of `accounts`
# (the best of three `SELECT sum(balance) FROM accounts`) and the server's resident memory (PostgreSQL:
# summed over its processes, shared buffers counted in each); for occam also what its garbage collector
# removed so far (from /metrics). Ends with how flat throughput and scan time stayed from minute 2 on.
#
#   bench/soak.sh            # 10 minutes per system
#   bench/soak.sh 3          # 3 minutes per system
#   CLIENTS=64 bench/soak.sh 30
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-10}
CLIENTS=${CLIENTS:-32}
THREADS=${THREADS:-2}
METRICS_PORT=${METRICS_PORT:-55434}
source bench/common.sh

scan_ms() { # port user: best of three full scans of accounts, in ms
  for _ in 1 2 3; do
    PGPASSWORD=x psql -X -q -At -h 127.0.0.1 -p "$1" -U "$2" -d postgres \
      -c '\timing on' -c 'SELECT sum(balance)::bigint FROM accounts' | sed -nE 's/^Time: ([0-9.]+) ms.*/\1/p'
  done | sort -g | head -1
}

rss_mib() { # label
  if [ "$1" = occam ]; then
    ps -o rss= -p "$OCCAM_PID" | awk '{ printf "%.0f", $1 / 1024 }'
  else
    local postmaster
    postmaster=$(head -1 "$WORK/pg/postmaster.pid")
    ps -o rss= -p "$postmaster" --ppid "$postmaster" | awk '{ s += $1 } END { printf "%.0f", s / 1024 }'
  fi
}

gc_removed() { # occam's garbage collector so far: versions and tombstones removed, passes
  curl -s "http://127.0.0.1:$METRICS_PORT/metrics" | awk '
    /^occam_gc_dead_versions_removed_total / { dead = $2 }
    /^occam_gc_tombstones_removed_total / { tomb = $2 }
    /^occam_gc_passes_total / { passes = $2 }
    END { printf "%d removed in %d passes", dead + tomb, passes }'
}

soak() { # label port user data-dir
  local label=$1 port=$2 user=$3 data=$4
  echo "[$label] pgbench: $CLIENTS clients, $THREADS threads, $MINUTES min" >&2
  PGPASSWORD=x "$PG_BIN/pgbench" -n -M prepared -c "$CLIENTS" -j "$THREADS" -T $((MINUTES * 60)) -P 60 \
    -f bench/transfer.sql --max-tries=1000 -h 127.0.0.1 -p "$port" -U "$user" postgres \
    >"$WORK/$label.out" 2>"$WORK/$label.progress" &
  local bench=$! start=$SECONDS
  printf '%-10s %6s %10s %12s %10s %9s  %s\n' system minute tps data_MiB scan_ms rss_MiB gc >"$WORK/$label.table"
  for minute in $(seq 1 "$MINUTES"); do
    local pause=$((start + minute * 60 - SECONDS))
    [ "$pause" -gt 0 ] && sleep "$pause"
    local size scan rss gc="" tps
    size=$(du -sm "$data" | cut -f1)
    scan=$(scan_ms "$port" "$user")
    rss=$(rss_mib "$label")
    [ "$label" = occam ] && gc=$(gc_removed)
    # pgbench reports the minute's throughput about now; the final table takes it from its progress lines.
    tps=-
    printf '%-10s %6d %10s %12s %10s %9s  %s\n' "$label" "$minute" "${tps:-?}" "$size" "$scan" "$rss" "$gc" |
      tee -a "$WORK/$label.table" >&2
  done
  wait "$bench" || { cat "$WORK/$label.out" "$WORK/$label.progress" >&2; return 1; }
  # Throughput per minute from pgbench's own progress lines (exact minutes).
  awk -v label="$label" 'FNR == NR && /^progress:/ { split($0, f, /[ ,]+/); tps[int(f[2] / 60 + 0.5)] = f[4]; next }
    FNR == 1 { print; next }
    { gc = NF >= 7 ? substr($0, index($0, $7)) : ""; if ($2 in tps) $3 = tps[$2]; else $3 = "?"
      printf "%-10s %6s %10s %12s %10s %9s  %s\n", $1, $2, $3, $4, $5, $6, gc }' \
    "$WORK/$label.progress" "$WORK/$label.table" >"$WORK/$label.final"
  grep -E '^(number of transactions actually processed|number of failed|latency average|tps)' "$WORK/$label.out" |
    sed "s/^/  [$label] /" >&2
}

flatness() { # label: spread of tps and scan time over minutes 2..N, as a percentage of their mean
  awk -v label="$1" 'NR > 2 && $3 != "?" {
      n++; t[n] = $3; s[n] = $5; size = $4
    }
    function spread(a, n,   i, lo, hi, sum) {
      lo = hi = a[1]; sum = 0
      for (i = 1; i <= n; i++) { if (a[i] < lo) lo = a[i]; if (a[i] > hi) hi = a[i]; sum += a[i] }
      return sum ? 100 * (hi - lo) / (sum / n) : 0
    }
    END {
      if (n == 0) { print label ": too short to judge (needs 2 minutes or more)"; exit }
      printf "%-10s minutes 2-%d: tps spread %.0f%%, scan time spread %.0f%%, final data directory %s MiB\n",
        label, n + 1, spread(t, n), spread(s, n), size
    }' "$WORK/$1.final"
}

build_occam
start_occam --metrics-listen "127.0.0.1:$METRICS_PORT"
soak occam "$OCCAM_PORT" admin "$WORK/occam"
stop_occam
start_postgres
soak postgresql "$PG_PORT" postgres "$WORK/pg"
stop_postgres

echo
cat "$WORK/occam.final"
tail -n +2 "$WORK/postgresql.final"
echo
flatness occam
flatness postgresql
