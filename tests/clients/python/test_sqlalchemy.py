"""SQLAlchemy 2 (psycopg driver) and Alembic against occam: create_all, ORM CRUD in a Session, transactions,
errors, the Inspector's reflection, and Alembic's autogenerate / upgrade / check."""

import datetime as dt
import decimal
import pathlib
import textwrap
import uuid

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import exc, inspect, select
from sqlalchemy.orm import Session

from conftest import DSQL, URL, dsql_only
from models import make_models

SA_URL = URL.replace("postgres://", "postgresql+psycopg://", 1)
# DSQL runs one DDL statement per transaction and no DML with it: DDL runs in autocommit there.
DDL_OPTIONS = {"isolation_level": "AUTOCOMMIT"} if DSQL else {}
# SQLAlchemy's psycopg dialect looks hstore up when it first connects, with psycopg's TypeInfo.fetch, which
# runs in `conn.transaction()`: a SAVEPOINT inside the dialect's open block, which DSQL refuses. A DSQL
# user turns the lookup off (test_dsql_refuses_the_hstore_lookup_savepoint shows why).
ENGINE_OPTIONS = {"use_native_hstore": False} if DSQL else {}

Base, Author, Book = make_models("py_sa_", with_index=not DSQL)


@pytest.fixture(scope="module")
def engine():
    engine = sa.create_engine(SA_URL, **ENGINE_OPTIONS)
    with engine.connect().execution_options(**DDL_OPTIONS) as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {table.name}"))
        if not DSQL:
            conn.commit()
    Base.metadata.create_all(engine.execution_options(**DDL_OPTIONS))
    if DSQL:
        # What a DSQL user writes instead of the model's Index: CREATE INDEX ASYNC, then wait for the job.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            job = conn.execute(sa.text("CREATE INDEX ASYNC py_sa_book_published ON py_sa_book (published)")).scalar()
            assert conn.execute(sa.text("CALL sys.wait_for_job(:job)"), {"job": job}).scalar() is True
    yield engine
    engine.dispose()


def test_orm_crud(engine):
    with Session(engine) as session:
        ada = Author(id=1, name="Ada", email="ada@example.com")
        ada.books = [
            Book(title="Notes", pages=60, price=decimal.Decimal("19.99"), published=dt.date(1843, 10, 1),
                 added=dt.datetime(2026, 12, 5, 6, 0, tzinfo=dt.timezone.utc), isbn=uuid.UUID(int=7),
                 meta={"tags": ["engine", "analytical"], "edition": 1}, cover=b"\x89PNG"),
            Book(title="Letters", in_print=False),
        ]
        session.add(ada)
        session.commit()
        book_ids = [b.id for b in ada.books]
        assert all(isinstance(i, int) for i in book_ids) and book_ids[0] != book_ids[1]

    with Session(engine) as session:
        ada = session.scalars(select(Author).where(Author.name == "Ada")).one()
        assert [b.title for b in ada.books] == ["Notes", "Letters"]
        notes = ada.books[0]
        assert (notes.pages, notes.price, notes.in_print, notes.published) == (
            60, decimal.Decimal("19.99"), True, dt.date(1843, 10, 1))
        assert notes.added == dt.datetime(2026, 12, 5, 6, 0, tzinfo=dt.timezone.utc)
        assert (notes.isbn, notes.meta, notes.cover) == (uuid.UUID(int=7), {"tags": ["engine", "analytical"], "edition": 1}, b"\x89PNG")
        assert ada.books[1].in_print is False
        notes.price = decimal.Decimal("24.50")
        notes.meta = {**notes.meta, "edition": 2}
        session.delete(ada.books[1])
        session.commit()

    with Session(engine) as session:
        rows = session.execute(
            select(Author.name, sa.func.count(Book.id), sa.func.sum(Book.price))
            .join(Book).group_by(Author.name)).all()
        assert rows == [("Ada", 1, decimal.Decimal("24.50"))]
        assert session.scalars(select(Book.meta["edition"].as_integer())).all() == [2]
        assert session.scalars(select(Book.title).where(Book.meta["tags"].contains(["engine"]))).all() == ["Notes"]
        # Bulk insert (insertmanyvalues with RETURNING) and bulk update.
        session.execute(sa.insert(Author), [{"id": i, "name": f"author {i}"} for i in range(10, 30)])
        session.execute(sa.update(Author).where(Author.id >= 20).values(email="bulk@example.com"))
        session.commit()
        assert session.scalar(select(sa.func.count()).where(Author.email == "bulk@example.com")) == 10


def test_transaction_rollback_and_errors(engine):
    with Session(engine) as session:
        session.add(Author(id=100, name="rolled back"))
        session.flush()
        session.rollback()
        assert session.get(Author, 100) is None

    with Session(engine) as session:
        session.add(Author(id=101, name="Ada"))  # the name is taken
        with pytest.raises(exc.IntegrityError) as err:
            session.commit()
        assert err.value.orig.sqlstate == "23505"
        session.rollback()
        session.add(Book(author_id=999_999, title="orphan"))
        with pytest.raises(exc.IntegrityError) as err:
            session.commit()
        assert err.value.orig.sqlstate == "23503"
        session.rollback()
        assert session.scalar(select(sa.func.count()).select_from(Author)) >= 1

    with engine.begin() as conn:
        conn.execute(sa.insert(Author).values(id=102, name="committed"))
    with engine.connect() as conn:
        assert conn.scalar(select(Author.name).where(Author.id == 102)) == "committed"


def test_stream_results_server_side_cursor(engine):
    """`stream_results` makes the psycopg dialect use a named cursor: DECLARE, then FETCH in batches."""
    with engine.connect() as conn:
        conn.execute(sa.insert(Author), [{"id": i, "name": f"streamed {i}"} for i in range(500, 530)])
        conn.commit()
        result = conn.execution_options(stream_results=True, max_row_buffer=7).execute(
            select(Author.id).where(Author.id >= 500).order_by(Author.id))
        assert [row.id for row in result] == list(range(500, 530))
        for partition in conn.execution_options(yield_per=10).execute(
                select(Author.name).where(Author.id >= 500)).partitions():
            assert len(partition) == 10
        conn.rollback()


def test_inspector(engine):
    insp = inspect(engine)
    assert {"py_sa_author", "py_sa_book"} <= set(insp.get_table_names())
    columns = {c["name"]: c for c in insp.get_columns("py_sa_book")}
    assert list(columns) == ["id", "author_id", "title", "pages", "price", "in_print", "published", "added",
                             "isbn", "meta", "cover"]
    expected_types = {"id": sa.BigInteger, "author_id": sa.BigInteger, "title": sa.Text, "pages": sa.Integer,
                      "price": sa.Numeric, "in_print": sa.Boolean, "published": sa.Date, "added": sa.DateTime,
                      "isbn": sa.Uuid, "cover": sa.LargeBinary}
    for name, type_ in expected_types.items():
        assert isinstance(columns[name]["type"], type_), (name, columns[name]["type"])
    assert (columns["price"]["type"].precision, columns["price"]["type"].scale) == (10, 2)
    assert columns["added"]["type"].timezone is True
    assert type(columns["meta"]["type"]).__name__ == "JSONB"
    assert columns["id"]["nullable"] is False and columns["pages"]["nullable"] is True
    assert columns["id"]["identity"]["start"] == 1 and columns["id"]["identity"]["cache"] == 1
    author_columns = {c["name"]: c for c in insp.get_columns("py_sa_author")}
    assert str(author_columns["name"]["type"]) == "VARCHAR(100)"

    pk = insp.get_pk_constraint("py_sa_book")
    assert (pk["name"], pk["constrained_columns"]) == ("py_sa_book_pkey", ["id"])
    assert insp.get_foreign_keys("py_sa_book") == [{
        "name": "py_sa_book_author_fk", "constrained_columns": ["author_id"], "referred_schema": None,
        "referred_table": "py_sa_author", "referred_columns": ["id"], "options": {}, "comment": None}]
    uniques = sorted((u["name"], u["column_names"]) for u in insp.get_unique_constraints("py_sa_book"))
    assert uniques == [("py_sa_book_author_title", ["author_id", "title"])]
    assert [(u["name"], u["column_names"]) for u in insp.get_unique_constraints("py_sa_author")] == [
        ("py_sa_author_name_key", ["name"])]
    indexes = {i["name"]: i for i in insp.get_indexes("py_sa_book")}
    assert indexes["py_sa_book_published"]["column_names"] == ["published"]
    assert indexes["py_sa_book_published"]["unique"] is False
    # Unique constraints' indexes are listed too, marked as duplicating the constraint, as on PostgreSQL.
    assert indexes["py_sa_book_author_title"]["duplicates_constraint"] == "py_sa_book_author_title"
    assert set(insp.get_schema_names()) >= {"public", "information_schema"}
    assert insp.has_table("py_sa_book") and not insp.has_table("py_sa_nothing")


def test_reflect_metadata(engine):
    reflected = sa.MetaData()
    reflected.reflect(engine, only=["py_sa_author", "py_sa_book"])
    book = reflected.tables["py_sa_book"]
    assert [c.name for c in book.primary_key] == ["id"]
    assert {fk.target_fullname for fk in book.foreign_keys} == {"py_sa_author.id"}


@dsql_only
def test_dsql_refuses_plain_create_index(engine):
    index = sa.Index("py_sa_book_title", Book.__table__.c.title)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        with pytest.raises(exc.NotSupportedError, match="CREATE INDEX ASYNC"):
            index.create(conn)


@dsql_only
def test_dsql_refuses_the_hstore_lookup_savepoint():
    engine = sa.create_engine(SA_URL)
    with pytest.raises(exc.NotSupportedError, match="unsupported transaction statement: SAVEPOINT"):
        engine.connect()
    engine.dispose()


ENV_PY = '''
import sys
from alembic import context
from sqlalchemy import create_engine

sys.path.insert(0, {suite_dir!r})
from models import make_models

target_metadata = make_models("py_alembic_", with_index={with_index!r})[0].metadata


def include_name(name, type_, parent_names):
    return type_ != "table" or name.startswith("py_alembic_")


engine = create_engine({url!r}, **{options!r}, **{engine_options!r})
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=target_metadata, include_name=include_name)
    with context.begin_transaction():
        context.run_migrations()
'''


def test_alembic_autogenerate_upgrade_check(engine, tmp_path):
    with engine.connect().execution_options(**DDL_OPTIONS) as conn:
        for name in ["py_alembic_book", "py_alembic_author", "alembic_version"]:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
        if not DSQL:
            conn.commit()
    scripts = tmp_path / "migrations"
    config = Config(str(tmp_path / "alembic.ini"))
    config.set_main_option("script_location", str(scripts))
    command.init(config, str(scripts))
    (scripts / "env.py").write_text(ENV_PY.format(
        suite_dir=str(pathlib.Path(__file__).parent), url=SA_URL, options=DDL_OPTIONS, with_index=not DSQL,
        engine_options=ENGINE_OPTIONS))

    first = command.revision(config, message="create tables", autogenerate=True)
    script = pathlib.Path(first.path).read_text()
    assert "op.create_table('py_alembic_author'" in script
    assert "op.create_table('py_alembic_book'" in script
    assert "sa.ForeignKeyConstraint(['author_id'], ['py_alembic_author.id'], name='py_alembic_book_author_fk')" in script
    assert "sa.UniqueConstraint('author_id', 'title', name='py_alembic_book_author_title')" in script
    assert ("op.create_index('py_alembic_book_published'" in script) is not DSQL
    assert "op.drop_table" in script  # in downgrade()

    command.upgrade(config, "head")
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT version_num FROM alembic_version")) == first.revision
    # The database now matches the models: nothing more to generate.
    command.check(config)
    second = command.revision(config, message="nothing", autogenerate=True)
    body = pathlib.Path(second.path).read_text()
    upgrade = body[body.index("def upgrade"):body.index("def downgrade")]
    assert "op." not in upgrade, textwrap.indent(upgrade, "  ")
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    assert not inspect(engine).has_table("py_alembic_book")
