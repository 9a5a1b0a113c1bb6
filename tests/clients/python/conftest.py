"""Shared by the Python client suites: the mode occam runs in (OCCAM_MODE, set by common.sh's occam_start) and
the connection settings (the libpq PG* variables, which psycopg and asyncpg both read)."""

import os

import pytest

MODE = os.environ.get("OCCAM_MODE", "postgres")
DSQL = MODE == "dsql"
URL = os.environ["OCCAM_URL"]

dsql_only = pytest.mark.skipif(not DSQL, reason="DSQL's refusal; PostgreSQL mode supports it")
postgres_only = pytest.mark.skipif(DSQL, reason="DSQL does not support it")
