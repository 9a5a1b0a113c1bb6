"""SQLAlchemy 2's asyncio extension over asyncpg (`postgresql+asyncpg://`) against occam: the dialect's first
connect (version, codecs for json/jsonb), ORM CRUD in an AsyncSession, a rollback, an integrity error, and
reflection through `run_sync`."""

import asyncio
import datetime as dt
import decimal
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy import exc, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from conftest import DSQL, URL
from models import make_models

ASYNC_URL = URL.replace("postgres://", "postgresql+asyncpg://", 1)
Base, Author, Book = make_models("py_saa_", with_index=False)


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, timeout=60))


def test_async_orm_roundtrip():
    async def body():
        engine = create_async_engine(ASYNC_URL)
        ddl = engine.execution_options(isolation_level="AUTOCOMMIT") if DSQL else engine
        async with ddl.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                await conn.execute(sa.text(f"DROP TABLE IF EXISTS {table.name}"))
            await conn.run_sync(Base.metadata.create_all)

        async with AsyncSession(engine, expire_on_commit=False) as session:
            author = Author(id=1, name="Grace")
            session.add(author)
            session.add_all([
                Book(author=author, title="COBOL", pages=300, price=decimal.Decimal("12.50"),
                     published=dt.date(1959, 1, 1), added=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
                     isbn=uuid.UUID(int=1), meta={"lang": "en", "tags": ["compilers"]}, cover=b"\x00\x01"),
                Book(author=author, title="Nanoseconds"),
            ])
            await session.commit()

        async with AsyncSession(engine) as session:
            rows = (await session.execute(select(Book.title, Book.price, Book.meta, Book.isbn).order_by(Book.id))).all()
            assert rows == [("COBOL", decimal.Decimal("12.50"), {"lang": "en", "tags": ["compilers"]}, uuid.UUID(int=1)),
                            ("Nanoseconds", None, None, None)]
            book = await session.scalar(select(Book).where(Book.title == "COBOL"))
            book.pages = 301
            await session.commit()
            assert await session.scalar(select(Book.pages).where(Book.title == "COBOL")) == 301

            session.add(Author(id=2, name="Grace"))
            with pytest.raises(exc.IntegrityError) as err:
                await session.commit()
            assert err.value.orig.sqlstate == "23505"
            await session.rollback()
            assert await session.scalar(select(sa.func.count()).select_from(Author)) == 1

        async with engine.connect() as conn:
            names = await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names())
            assert {"py_saa_author", "py_saa_book"} <= set(names)
            fks = await conn.run_sync(lambda sync: sa.inspect(sync).get_foreign_keys("py_saa_book"))
            assert [(fk["constrained_columns"], fk["referred_table"]) for fk in fks] == [(["author_id"], "py_saa_author")]
        await engine.dispose()

    run(body())
