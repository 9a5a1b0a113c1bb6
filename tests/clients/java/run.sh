#!/usr/bin/env bash
# pgjdbc (Debian's libpostgresql-jdbc-java, 42.5.x) against occam in postgres mode: compiles and runs
# ClientCheck.java (CRUD with PreparedStatement, transactions, SQLState 23505, DatabaseMetaData).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../common.sh"

JAR=/usr/share/java/postgresql.jar
if [ ! -f "$JAR" ]; then
  apt-get install -y libpostgresql-jdbc-java >/dev/null
fi
echo "pgjdbc $(basename "$(readlink -f "$JAR")"), $(java -version 2>&1 | head -1)"

CLASSES=$(mktemp -d)
javac -d "$CLASSES" -cp "$JAR" "$HERE/ClientCheck.java"

occam_start postgres
# After occam_start, whose EXIT trap this one replaces (and runs).
trap 'occam_stop; rm -rf "$CLASSES"' EXIT
java -cp "$CLASSES:$JAR" ClientCheck
