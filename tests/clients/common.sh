#!/usr/bin/env bash
# Shared by the client-matrix suites (tests/clients/*/run.sh): starts an `occam serve` in memory on a free
# port in the mode asked for, waits until it accepts connections, and exports the libpq variables every
# client reads. The server is killed when the sourcing script exits.
#
#   source tests/clients/common.sh
#   occam_start postgres        # or dsql; sets PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE OCCAM_URL
#   occam_stop                  # optional: the EXIT trap does it too
set -euo pipefail

CLIENTS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$CLIENTS_ROOT/../.." && pwd)
# The binary `cargo test --workspace` (or `cargo build -p occam-server`) leaves; OCCAM_BIN overrides it.
OCCAM_BIN=${OCCAM_BIN:-$REPO_ROOT/target/debug/occam}
OCCAM_PID=

occam_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

occam_start() {
  local mode=${1:-postgres}
  [ -x "$OCCAM_BIN" ] || (cd "$REPO_ROOT" && cargo build -q -p occam-server)
  occam_stop
  PGPORT=$(occam_free_port)
  OCCAM_LOG=$(mktemp)
  "$OCCAM_BIN" serve --in-memory --listen "127.0.0.1:$PGPORT" --compat "$mode" >"$OCCAM_LOG" 2>&1 &
  OCCAM_PID=$!
  trap occam_stop EXIT
  # Poll until the port answers (or the server exits): readiness, not a fixed sleep.
  for _ in $(seq 1 600); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PGPORT") 2>/dev/null; then break; fi
    kill -0 "$OCCAM_PID" 2>/dev/null || { echo "occam exited:" >&2; cat "$OCCAM_LOG" >&2; return 1; }
    sleep 0.05
  done
  export PGHOST=127.0.0.1 PGPORT PGUSER=admin PGPASSWORD=x PGDATABASE=postgres OCCAM_MODE=$mode
  export OCCAM_URL="postgres://admin:x@127.0.0.1:$PGPORT/postgres"
  echo "occam ($mode) on port $PGPORT"
}

occam_stop() {
  if [ -n "${OCCAM_PID:-}" ]; then
    kill "$OCCAM_PID" 2>/dev/null || true
    wait "$OCCAM_PID" 2>/dev/null || true
    OCCAM_PID=
  fi
}
