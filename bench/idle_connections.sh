#!/usr/bin/env bash
# Memory of idle connections: starts `occam serve` (release build, on-disk data directory), opens
# CONNECTIONS connections with a tokio-postgres client (crates/occam-server/examples/idle_clients.rs), each
# after one `SELECT 1`, holds them idle and reads the server's resident memory from /proc before and while
# they are held; once in plaintext, once over TLS (as DSQL's clients connect), each on a fresh server.
# Aurora DSQL allows 10,000 connections per cluster; the target is 10,000 in under 1 GiB.
#
#   bench/idle_connections.sh                  # 10,000 connections, plaintext and TLS
#   CONNECTIONS=2000 MODES=tls bench/idle_connections.sh
#
# The new-connection rate limit (100/s, bursts of 1,000) would make opening 10,000 take 90 s; the server is
# started with --connection-rate 0 unless CONNECTION_RATE is set (e.g. CONNECTION_RATE=100 to keep DSQL's).
set -euo pipefail
cd "$(dirname "$0")/.."
CONNECTIONS=${CONNECTIONS:-10000}
PORT=${PORT:-55434}
CONNECTION_RATE=${CONNECTION_RATE:-0}
MODES=${MODES:-plain tls}
# Both processes hold one descriptor per connection.
ulimit -n "$(ulimit -Hn)"
WORK=$(mktemp -d /tmp/occam-idle.XXXXXX)
cleanup() {
  [ -n "${OCCAM_PID:-}" ] && kill "$OCCAM_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "building occam and the client (release)..." >&2
cargo build --release -q -p occam-server --bin occam --example idle_clients

measure() { # plain|tls
  target/release/occam serve --listen "127.0.0.1:$PORT" --data-dir "$WORK/data-$1" \
    --connection-rate "$CONNECTION_RATE" >"$WORK/occam-$1.log" 2>&1 &
  OCCAM_PID=$!
  for _ in $(seq 1 300); do
    PGPASSWORD=x psql -h 127.0.0.1 -p "$PORT" -U admin -d postgres -Atc 'SELECT 1' >/dev/null 2>&1 && break
    sleep 0.1
  done
  local before held threads cert=()
  before=$(kib VmRSS)
  [ "$1" = tls ] && cert=("$WORK/data-$1/server.crt")
  coproc CLIENTS { exec target/release/examples/idle_clients "$PORT" "$CONNECTIONS" "${cert[@]}"; }
  read -r opened <&"${CLIENTS[0]}"
  held=$(kib VmRSS)
  threads=$(kib Threads)
  echo "[$1] server RSS: $((before / 1024)) MiB with no clients, $((held / 1024)) MiB with $CONNECTIONS idle connections ($(((held - before) * 1024 / CONNECTIONS)) bytes per connection, $threads threads; client: $opened)"
  exec {CLIENTS[1]}>&-
  read -r closed <&"${CLIENTS[0]}" || true
  wait "$CLIENTS_PID" || true
  echo "[$1] server peak RSS (VmHWM): $(($(kib VmHWM) / 1024)) MiB; client: $closed"
  kill "$OCCAM_PID"
  wait "$OCCAM_PID" 2>/dev/null || true
  OCCAM_PID=
  if [ "$held" -ge $((1024 * 1024)) ]; then
    echo "[$1] over 1 GiB" >&2
    return 1
  fi
}

kib() { awk -v field="$1:" '$1 == field { print $2 }' "/proc/$OCCAM_PID/status"; }
for mode in $MODES; do
  measure "$mode"
done
