"""asyncpg against occam: pools (with PostgreSQL's reset query in postgres mode, without it in dsql mode),
prepared statements, errors over the Flush-based extended protocol, copy_records_to_table, type codecs."""

import asyncio
import datetime as dt
import decimal
import json
import uuid

import asyncpg
import pytest

from conftest import DSQL, URL, dsql_only, postgres_only

TABLE = "py_asyncpg_items"


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, timeout=30))


async def jsonb_codec(conn):
    """jsonb as Python values, in the binary format (version byte 1, then the text), which COPY needs too."""
    await conn.set_type_codec("jsonb", schema="pg_catalog", format="binary",
                              encoder=lambda value: b"\x01" + json.dumps(value).encode(),
                              decoder=lambda data: json.loads(data[1:]))


async def connect():
    conn = await asyncpg.connect(URL)
    await jsonb_codec(conn)
    return conn


@pytest.fixture(autouse=True, scope="module")
def schema():
    async def create():
        conn = await asyncpg.connect(URL)
        await conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
        await conn.execute(
            f"""CREATE TABLE {TABLE} (
                id bigint PRIMARY KEY,
                n integer,
                amount numeric(20, 6),
                label text UNIQUE,
                flag boolean,
                at timestamptz,
                day date,
                uid uuid,
                doc jsonb,
                blob bytea)"""
        )
        await conn.close()

    run(create())


@pytest.fixture(autouse=True)
def clean():
    yield

    async def delete():
        conn = await asyncpg.connect(URL)
        await conn.execute(f"DELETE FROM {TABLE}")
        await conn.close()

    run(delete())


ROW = (
    1,
    -7,
    decimal.Decimal("123456789.123456"),
    "one",
    False,
    dt.datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=dt.timezone.utc),
    dt.date(1999, 12, 31),
    uuid.UUID("12345678-1234-5678-1234-567812345678"),
    {"k": [1, 2.5, "three"], "nested": {"x": None}},
    b"\xde\xad\xbe\xef",
)
COLUMNS = "id, n, amount, label, flag, at, day, uid, doc, blob"
INSERT = f"INSERT INTO {TABLE} ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"


def test_typed_crud_and_codecs():
    async def body():
        conn = await connect()
        assert await conn.execute(INSERT, *ROW) == "INSERT 0 1"
        row = await conn.fetchrow(f"SELECT {COLUMNS} FROM {TABLE} WHERE id = $1", 1)
        assert tuple(row) == ROW
        assert list(row.keys()) == COLUMNS.split(", ")
        assert await conn.execute(f"UPDATE {TABLE} SET n = n * 2 WHERE id = $1", 1) == "UPDATE 1"
        assert await conn.fetchval(f"SELECT n FROM {TABLE} WHERE id = 1") == -14
        # Arrays as parameters and results, numeric edge values, intervals.
        assert await conn.fetchval("SELECT $1::int[]", [1, None, 3]) == [1, None, 3]
        assert await conn.fetchval("SELECT $1::text[]", ["a", "b,c"]) == ["a", "b,c"]
        assert await conn.fetchval("SELECT $1::uuid[]", [ROW[7]]) == [ROW[7]]
        assert await conn.fetchval("SELECT $1::numeric", decimal.Decimal("-0.000001")) == decimal.Decimal("-0.000001")
        assert await conn.fetchval("SELECT $1::interval", dt.timedelta(days=3, seconds=5)) == dt.timedelta(3, 5)
        assert await conn.fetchval(f"SELECT count(*) FROM {TABLE} WHERE id = ANY($1::bigint[])", [1, 2]) == 1
        assert await conn.execute(f"DELETE FROM {TABLE} WHERE id = $1", 1) == "DELETE 1"
        await conn.close()

    run(body())


def test_transaction_commit_and_rollback():
    async def body():
        conn = await connect()
        async with conn.transaction():
            await conn.execute(INSERT, *ROW)
        with pytest.raises(RuntimeError):
            async with conn.transaction():
                await conn.execute(INSERT, 2, *ROW[1:3], "two", *ROW[4:])
                raise RuntimeError("roll back")
        tr = conn.transaction()
        await tr.start()
        await conn.execute(f"UPDATE {TABLE} SET label = 'changed'")
        await tr.rollback()
        assert await conn.fetch(f"SELECT id, label FROM {TABLE}") == [(1, "one")]
        await conn.close()

    run(body())


def test_error_does_not_hang_and_connection_survives():
    async def body():
        conn = await connect()
        await conn.execute(INSERT, *ROW)
        with pytest.raises(asyncpg.UniqueViolationError) as exc:
            await conn.execute(INSERT, 2, *ROW[1:])
        assert exc.value.sqlstate == "23505"
        assert exc.value.constraint_name == f"{TABLE}_label_key"
        # Errors at Parse (unknown table), at Bind (bad parameter text), at Execute (division by zero).
        with pytest.raises(asyncpg.UndefinedTableError):
            await conn.fetch("SELECT * FROM no_such_table WHERE a = $1", 1)
        with pytest.raises(asyncpg.InvalidTextRepresentationError):
            await conn.fetchval("SELECT $1::text::int", "nope")
        with pytest.raises(asyncpg.DivisionByZeroError):
            await conn.fetchval("SELECT 1 / $1::int", 0)
        with pytest.raises(asyncpg.PostgresSyntaxError):
            await conn.execute("SELEC 1")
        with pytest.raises(RuntimeError):
            async with conn.transaction():
                with pytest.raises(asyncpg.UniqueViolationError):
                    await conn.execute(INSERT, 3, *ROW[1:])
                with pytest.raises(asyncpg.InFailedSQLTransactionError):
                    await conn.fetchval("SELECT 1")
                raise RuntimeError("roll back the failed block")
        assert await conn.fetchval("SELECT 2 + $1::int", 40) == 42
        await conn.close()

    run(body())


def test_errors_then_recovery():
    async def body():
        conn = await connect()
        await conn.execute(INSERT, *ROW)
        for _ in range(3):
            with pytest.raises(asyncpg.UniqueViolationError):
                await conn.execute(INSERT, 2, *ROW[1:])
        assert await conn.fetchval("SELECT 2 + $1::int", 40) == 42
        await conn.close()

    run(body())


def test_prepared_statements():
    async def body():
        conn = await connect()
        stmt = await conn.prepare(f"SELECT id, label, amount FROM {TABLE} WHERE id >= $1 ORDER BY id")
        assert [a.name for a in stmt.get_attributes()] == ["id", "label", "amount"]
        assert [p.name for p in stmt.get_parameters()] == ["int8"]
        insert = await conn.prepare(INSERT)
        for i in range(1, 6):
            await insert.fetch(i, i, decimal.Decimal(i), f"l{i}", True, ROW[5], ROW[6], uuid.uuid4(), {"i": i}, b"")
        assert [r["id"] for r in await stmt.fetch(3)] == [3, 4, 5]
        assert await stmt.fetchval(5) == 5
        assert await stmt.fetchrow(4) == (4, "l4", decimal.Decimal(4))
        await conn.executemany(f"UPDATE {TABLE} SET n = $2 WHERE id = $1", [(i, i * 10) for i in range(1, 6)])
        assert await conn.fetchval(f"SELECT sum(n) FROM {TABLE}") == 150
        # A cursor over a prepared statement uses portals with a row limit (PortalSuspended).
        async with conn.transaction():
            seen = [r["id"] async for r in stmt.cursor(1, prefetch=2)]
        assert seen == [1, 2, 3, 4, 5]
        await conn.close()

    run(body())


def test_copy_records_to_table():
    async def body():
        conn = await connect()
        records = [(i, i, decimal.Decimal(i) / 8, f"copy{i}", i % 2 == 0, ROW[5], ROW[6], uuid.uuid4(), {"i": i}, bytes([i]))
                   for i in range(100, 140)]
        assert await conn.copy_records_to_table(TABLE, records=records, columns=COLUMNS.split(", ")) == "COPY 40"
        assert await conn.fetchval(f"SELECT sum(amount) FROM {TABLE}") == sum(r[2] for r in records)
        assert await conn.fetchval(f"SELECT doc FROM {TABLE} WHERE id = 139") == {"i": 139}
        out = []

        async def sink(chunk):
            out.append(chunk)

        await conn.copy_from_query(f"SELECT id, label FROM {TABLE} WHERE id < $1 ORDER BY id", 102, output=sink)
        assert b"".join(out) == b"100\tcopy100\n101\tcopy101\n"
        await conn.close()

    run(body())


@postgres_only
def test_pool_with_reset():
    async def body():
        async with asyncpg.create_pool(URL, min_size=1, max_size=3, init=jsonb_codec) as pool:
            async with pool.acquire() as conn:
                await conn.execute("SET application_name = 'pooled'")
                await conn.execute(INSERT, *ROW)
            # The released connection was reset (pg_advisory_unlock_all, CLOSE ALL, UNLISTEN *, RESET ALL).
            results = await asyncio.gather(*(pool.fetchval("SELECT current_setting('application_name')") for _ in range(6)))
            assert set(results) <= {"", None}
            assert await pool.fetchval(f"SELECT count(*) FROM {TABLE}") == 1

    run(body())


def test_pool_without_reset():
    """What a DSQL user does: DSQL refuses UNLISTEN and advisory locks, so the pool's reset query is disabled."""

    class NoResetConnection(asyncpg.Connection):
        def get_reset_query(self):
            return ""

    async def body():
        async with asyncpg.create_pool(URL, min_size=2, max_size=4, connection_class=NoResetConnection) as pool:
            async def work(i):
                async with pool.acquire() as conn:
                    async with conn.transaction():
                        await conn.execute(f"INSERT INTO {TABLE} (id, label) VALUES ($1, $2)", i, f"p{i}")
                    return await conn.fetchval(f"SELECT label FROM {TABLE} WHERE id = $1", i)

            assert await asyncio.gather(*(work(i) for i in range(10))) == [f"p{i}" for i in range(10)]
            assert await pool.fetchval(f"SELECT count(*) FROM {TABLE}") == 10

    run(body())


@dsql_only
def test_pool_reset_is_refused_by_dsql():
    async def body():
        conn = await connect()
        with pytest.raises(asyncpg.FeatureNotSupportedError):
            await conn.execute("UNLISTEN *")
        with pytest.raises(asyncpg.FeatureNotSupportedError):
            await conn.execute("SELECT pg_advisory_unlock_all()")
        await conn.close()

    run(body())


def test_introspection():
    async def body():
        conn = await connect()
        assert conn.get_server_version().major >= 15
        cols = await conn.fetch(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
            "WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum", TABLE)
        assert [tuple(c) for c in cols][:3] == [("id", "bigint"), ("n", "integer"), ("amount", "numeric(20,6)")]
        await conn.close()

    run(body())
