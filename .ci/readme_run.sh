#!/usr/bin/env bash
# Runs the README's run command exactly as written (taken from the README itself, so the two cannot drift)
# in this checkout, waits until it accepts connections, and connects with psql as the README says.
# CI runs this in its fresh clone: it is the "new user on a fresh machine" check.
set -euo pipefail
cd "$(dirname "$0")/.."

run_command=$(sed -n '/^## Run it/,/^```$/p' README.md | grep -m1 '^cargo run' | sed 's/ *#.*$//')
connect_command=$(grep -m1 '^psql -h 127.0.0.1' README.md)
[ -n "$run_command" ] || { echo "readme_run: no 'cargo run' line under '## Run it' in README.md" >&2; exit 1; }
[ -n "$connect_command" ] || { echo "readme_run: no psql connect line in README.md" >&2; exit 1; }
if (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  echo "readme_run: port 5432 is already in use; the README's command needs it" >&2
  exit 1
fi

data_was_there=$([ -e occam-data ] && echo yes || echo no)
log=$(mktemp)
echo "readme_run: $run_command"
setsid bash -c "$run_command" >"$log" 2>&1 &
server=$!
cleanup() {
  kill -TERM -- "-$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  [ "$data_was_there" = yes ] || rm -rf occam-data
  rm -f "$log"
}
trap cleanup EXIT

# The command builds first (minutes on a fresh clone), then listens; poll until it answers or exits.
for _ in $(seq 1 1800); do
  if ! kill -0 "$server" 2>/dev/null; then
    echo "readme_run: the run command exited before accepting connections:" >&2
    tail -20 "$log" >&2
    exit 1
  fi
  grep -q "listening" "$log" && break
  sleep 1
done
grep -q "listening" "$log" || { echo "readme_run: not listening after 30 minutes" >&2; tail -20 "$log" >&2; exit 1; }

echo "readme_run: $connect_command -c 'SELECT 1 + 1'"
answer=$(PGPASSWORD=x $connect_command -X -A -t -c 'SELECT 1 + 1')
[ "$answer" = 2 ] || { echo "readme_run: expected 2, got '$answer'" >&2; exit 1; }
echo "readme_run: the README's run command serves psql"
