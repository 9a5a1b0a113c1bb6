"""psycopg 3 against occam: typed CRUD in text and binary formats, transactions, errors, auto-prepared
statements and DEALLOCATE ALL, TypeInfo, COPY, server-side (named) cursors."""

import datetime as dt
import decimal
import uuid

import psycopg
import pytest
from psycopg import errors, sql
from psycopg.types import TypeInfo
from psycopg.types.json import Jsonb

from conftest import DSQL, URL, dsql_only, postgres_only

TABLE = "py_psycopg_items"


@pytest.fixture(scope="module")
def ddl():
    """An autocommit connection for DDL (DSQL allows one DDL statement per transaction, and no DML with it)."""
    with psycopg.connect(URL, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
        conn.execute(
            f"""CREATE TABLE {TABLE} (
                id integer PRIMARY KEY,
                big bigint NOT NULL,
                amount numeric(12, 2),
                label text UNIQUE,
                flag boolean,
                at timestamptz,
                day date,
                uid uuid,
                doc jsonb,
                blob bytea)"""
        )
        yield conn


@pytest.fixture
def conn(ddl):
    with psycopg.connect(URL) as conn:
        yield conn
        conn.rollback()
    with psycopg.connect(URL, autocommit=True) as cleanup:
        cleanup.execute(f"DELETE FROM {TABLE}")


ROW = (
    1,
    9_000_000_000,
    decimal.Decimal("12345.67"),
    "first",
    True,
    dt.datetime(2026, 12, 5, 4, 30, 15, 123456, tzinfo=dt.timezone.utc),
    dt.date(2026, 2, 28),
    uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
    {"a": 1, "b": [True, None, "x"]},
    b"\x00\x01\xffbytes",
)
COLUMNS = "id, big, amount, label, flag, at, day, uid, doc, blob"


def insert(conn, row, binary=False):
    values = list(row)
    values[8] = Jsonb(values[8])
    with conn.cursor(binary=binary) as cur:
        cur.execute(f"INSERT INTO {TABLE} ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", values)


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_typed_crud(conn, binary):
    insert(conn, ROW, binary=binary)
    with conn.cursor(binary=binary) as cur:
        cur.execute(f"SELECT {COLUMNS} FROM {TABLE} WHERE id = %s", (1,))
        assert cur.fetchone() == ROW
        assert [d.name for d in cur.description] == COLUMNS.split(", ")
        cur.execute(f"UPDATE {TABLE} SET amount = amount + %s, doc = doc || %s WHERE id = %s",
                    (decimal.Decimal("0.33"), Jsonb({"c": "new"}), 1))
        assert cur.rowcount == 1
        cur.execute(f"SELECT amount, doc FROM {TABLE} WHERE id = 1")
        assert cur.fetchone() == (decimal.Decimal("12346.00"), {"a": 1, "b": [True, None, "x"], "c": "new"})
        cur.execute(f"SELECT label, flag, blob FROM {TABLE} WHERE id = %s AND label IS NOT NULL", [1])
        assert cur.fetchall() == [("first", True, b"\x00\x01\xffbytes")]
        cur.execute(f"DELETE FROM {TABLE} WHERE id = %s", (1,))
        assert cur.rowcount == 1
    conn.commit()


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_nulls_and_arrays(conn, binary):
    with conn.cursor(binary=binary) as cur:
        cur.execute(f"INSERT INTO {TABLE} (id, big) VALUES (%s, %s)", (2, -1))
        cur.execute(f"SELECT {COLUMNS} FROM {TABLE} WHERE id = 2")
        assert cur.fetchone() == (2, -1) + (None,) * 8
        # Arrays as parameters and results (occam, like DSQL, has no array columns).
        cur.execute("SELECT %s::int[], %s::text[], %s::bigint[]", ([1, 2, None], ["a", "b c", ""], [2**40]))
        assert cur.fetchone() == ([1, 2, None], ["a", "b c", ""], [2**40])
        cur.execute(f"SELECT id FROM {TABLE} WHERE id = ANY(%s)", ([1, 2, 3],))
        assert cur.fetchall() == [(2,)]
        cur.execute("SELECT ARRAY['x', NULL]::text[], ARRAY[1.5, 2]::numeric[], ARRAY[]::int[]")
        assert cur.fetchone() == (["x", None], [decimal.Decimal("1.5"), decimal.Decimal("2")], [])


def test_transaction_commit_and_rollback(conn):
    with conn.transaction():
        insert(conn, ROW)
    conn.commit()
    insert(conn, (3,) + ROW[1:3] + ("third",) + ROW[4:])
    conn.rollback()
    assert conn.execute(f"SELECT id FROM {TABLE} ORDER BY id").fetchall() == [(1,)]
    conn.commit()  # else transaction() below would be a SAVEPOINT in the open block
    # An exception inside `transaction()` rolls it back.
    with pytest.raises(ZeroDivisionError):
        with conn.transaction():
            insert(conn, (4,) + ROW[1:3] + ("fourth",) + ROW[4:])
            1 / 0
    assert conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone() == (1,)


def test_unique_violation_keeps_connection_usable(conn):
    insert(conn, ROW)
    conn.commit()
    with pytest.raises(errors.UniqueViolation) as exc:
        insert(conn, (5,) + ROW[1:])
    assert exc.value.sqlstate == "23505"
    assert exc.value.diag.constraint_name == f"{TABLE}_label_key"
    # The block is failed until rollback, as in PostgreSQL.
    with pytest.raises(errors.InFailedSqlTransaction):
        conn.execute("SELECT 1")
    conn.rollback()
    assert conn.execute("SELECT count(*) FROM " + TABLE).fetchone() == (1,)
    with pytest.raises(errors.UndefinedTable):
        conn.execute("SELECT * FROM no_such_table")
    conn.rollback()
    with pytest.raises(errors.DivisionByZero):
        conn.execute("SELECT 1 / %s", (0,))
    conn.rollback()
    assert conn.execute("SELECT 41 + %s", (1,)).fetchone() == (42,)


def test_auto_prepare_then_rollback_deallocates(conn):
    conn.prepare_threshold = 2
    for i in range(8):
        assert conn.execute("SELECT %s::int + 1, %s::text", (i, "x")).fetchone() == (i + 1, "x")
    # psycopg sends DEALLOCATE ALL after a rollback when it has prepared statements.
    conn.rollback()
    for i in range(8):
        assert conn.execute("SELECT %s::int + 1, %s::text", (i, "y")).fetchone() == (i + 1, "y")
    conn.execute("DEALLOCATE ALL")
    # Explicit prepare=True, and statements prepared across a commit.
    for i in range(3):
        assert conn.execute("SELECT %s::bigint * 2", (i,), prepare=True).fetchone() == (i * 2,)
        conn.commit()


def test_type_info(conn):
    info = TypeInfo.fetch(conn, "jsonb")
    assert (info.name, info.oid, info.array_oid) == ("jsonb", 3802, 3807)
    info = TypeInfo.fetch(conn, "uuid")
    assert (info.oid, info.array_oid) == (2950, 2951)
    assert TypeInfo.fetch(conn, "numeric").oid == 1700
    assert TypeInfo.fetch(conn, "no_such_type") is None


def test_type_info_user_type(conn):
    # Neither DSQL nor occam has CREATE TYPE: refused with 0A000 in both modes (docs/compatibility.md).
    with psycopg.connect(URL, autocommit=True) as other:
        with pytest.raises(errors.FeatureNotSupported):
            other.execute("CREATE TYPE py_mood AS ENUM ('sad', 'happy')")


def test_copy_text_and_binary(conn):
    with conn.cursor() as cur:
        with cur.copy(f"COPY {TABLE} (id, big, amount, label, at, uid, doc) FROM STDIN") as copy:
            for i in range(10, 20):
                copy.write_row((i, i * 1000, decimal.Decimal(i) / 4, f"copy {i}", ROW[5], ROW[7], Jsonb({"i": i})))
        with cur.copy(f"COPY {TABLE} (id, big, label, blob) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["int4", "int8", "text", "bytea"])
            for i in range(20, 25):
                copy.write_row((i, i, f"binary {i}", bytes([i, 0, 255])))
    conn.commit()
    with conn.cursor() as cur:
        with cur.copy(f"COPY (SELECT id, amount, label FROM {TABLE} WHERE id < 12 ORDER BY id) TO STDOUT") as copy:
            assert list(copy.rows()) == [("10", "2.50", "copy 10"), ("11", "2.75", "copy 11")]
        with cur.copy(f"COPY (SELECT id, blob FROM {TABLE} WHERE id = 20) TO STDOUT (FORMAT BINARY)") as copy:
            copy.set_types(["int4", "bytea"])
            assert list(copy.rows()) == [(20, bytes([20, 0, 255]))]
        with cur.copy(f"COPY {TABLE} (id, label) TO STDOUT (FORMAT CSV, HEADER)") as copy:
            text = b"".join(bytes(chunk) for chunk in copy).decode()
        assert text.splitlines()[0] == "id,label"
        assert len(text.splitlines()) == 16
    assert conn.execute(f"SELECT sum(big) FROM {TABLE}").fetchone() == (145_000 + 110,)


def test_server_side_cursor(conn):
    with conn.cursor() as cur:
        cur.executemany(f"INSERT INTO {TABLE} (id, big) VALUES (%s, %s)", [(i, i * i) for i in range(100, 150)])
    conn.commit()
    with conn.cursor(name="py_named") as cur:
        cur.itersize = 7
        cur.execute(f"SELECT id, big FROM {TABLE} WHERE id >= %s ORDER BY id", (100,))
        assert cur.fetchone() == (100, 10000)
        assert cur.fetchmany(3) == [(101, 10201), (102, 10404), (103, 10609)]
        rest = list(cur)
        assert len(rest) == 46 and rest[-1] == (149, 22201)
    conn.commit()
    with conn.cursor(name="py_scroll", scrollable=True) as cur:
        cur.execute(f"SELECT id FROM {TABLE} WHERE id >= 100 ORDER BY id")
        cur.scroll(10)
        assert cur.fetchone() == (110,)
        cur.scroll(0, mode="absolute")
        assert cur.fetchone() == (100,)
    conn.rollback()
    with conn.cursor(name="py_hold", withhold=True) as cur:
        cur.execute(f"SELECT count(*) FROM {TABLE}")
        conn.commit()
        assert cur.fetchone() == (50,)


def test_pipeline_mode(conn):
    with conn.pipeline():
        with conn.cursor() as cur:
            for i in range(200, 210):
                cur.execute(f"INSERT INTO {TABLE} (id, big) VALUES (%s, %s)", (i, i))
            cur.execute(f"SELECT count(*) FROM {TABLE} WHERE id >= 200")
            assert cur.fetchone() == (10,)
    conn.commit()
    # An error in a pipeline fails what follows it up to the next Sync; the connection recovers.
    with pytest.raises(errors.UniqueViolation):
        with conn.pipeline():
            conn.execute(f"INSERT INTO {TABLE} (id, big) VALUES (%s, %s)", (200, 0))
            conn.execute("SELECT 1")
    conn.rollback()
    assert conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone() == (10,)


def test_introspection(conn):
    assert conn.info.server_version >= 150000
    assert conn.execute("SELECT current_user, current_database()").fetchone() == ("admin", "postgres")
    rows = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = %s ORDER BY ordinal_position", (TABLE,)).fetchall()
    assert rows[:4] == [("id", "integer"), ("big", "bigint"), ("amount", "numeric"), ("label", "text")]
    assert conn.execute(
        sql.SQL("SELECT {}::regclass::oid = (SELECT oid FROM pg_class WHERE relname = {})").format(
            sql.Literal(TABLE), sql.Literal(TABLE))).fetchone() == (True,)


@dsql_only
def test_dsql_refusals(conn):
    conn.execute("SELECT 1")
    with pytest.raises(errors.FeatureNotSupported):
        conn.execute("SAVEPOINT sp")
    conn.rollback()
    with psycopg.connect(URL, autocommit=True) as other:
        with pytest.raises(errors.FeatureNotSupported, match="CREATE INDEX ASYNC"):
            other.execute(f"CREATE INDEX py_psycopg_big ON {TABLE} (big)")
    assert conn.execute("SELECT 1").fetchone() == (1,)


@postgres_only
def test_nested_transaction_savepoint(conn):
    with conn.transaction():
        insert(conn, ROW)
        with pytest.raises(errors.UniqueViolation):
            with conn.transaction():
                insert(conn, (6,) + ROW[1:])
        assert conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone() == (1,)
    assert conn.execute(f"SELECT id FROM {TABLE}").fetchall() == [(1,)]
