#!/usr/bin/env bash
# The Python client suite: psycopg 3, asyncpg, SQLAlchemy 2 + Alembic (versions pinned in requirements.txt)
# against a real `occam serve`, in postgres and dsql mode. Extra arguments go to pytest (e.g. -k copy).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../common.sh"

venv=$REPO_ROOT/target/clients/python-venv
stamp=$venv/requirements.txt
if ! cmp -s "$here/requirements.txt" "$stamp" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"
  cp "$here/requirements.txt" "$stamp"
fi

status=0
for mode in postgres dsql; do
  occam_start "$mode"
  "$venv/bin/python" -m pytest -q -p no:cacheprovider --rootdir "$here" "$here" "$@" || status=1
  occam_stop
done
exit $status
