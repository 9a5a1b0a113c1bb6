#!/usr/bin/env bash
# pgjdbc (Debian's libpostgresql-jdbc-java, 42.5.x) against occam in postgres mode: compiles and runs
# ClientCheck.java (CRUD with PreparedStatement, transactions, SQLState 23505, DatabaseMetaData).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../common.sh"

# Debian's packages (a fresh machine may have no package lists yet: update once, then install).
apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }
}
JAR=/usr/share/java/postgresql.jar
[ -f "$JAR" ] || apt_install libpostgresql-jdbc-java
command -v javac >/dev/null 2>&1 || apt_install default-jdk-headless
echo "pgjdbc $(basename "$(readlink -f "$JAR")"), $(java -version 2>&1 | head -1)"

CLASSES=$(mktemp -d)
javac -d "$CLASSES" -cp "$JAR" "$HERE/ClientCheck.java"

occam_start postgres
# After occam_start, whose EXIT trap this one replaces (and runs).
trap 'occam_stop; rm -rf "$CLASSES"' EXIT
java -cp "$CLASSES:$JAR" ClientCheck
