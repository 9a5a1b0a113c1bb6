"""The SQLAlchemy models the SQLAlchemy and Alembic scenarios use: an author and their books, with the types,
keys and constraints an application declares. `make_models(prefix)` builds a fresh set of tables so that
create_all and Alembic work on tables of their own."""

import datetime as dt
import decimal
import uuid

from sqlalchemy import (BigInteger, Boolean, Date, DateTime, ForeignKey, Identity, Index, Integer, LargeBinary,
                        MetaData, Numeric, String, Text, UniqueConstraint, Uuid)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def make_models(prefix, with_index=True):
    """The models under table names starting with `prefix`. DSQL refuses a plain CREATE INDEX (it wants
    CREATE INDEX ASYNC), so dsql-mode scenarios leave the secondary index out of the models."""

    class Base(DeclarativeBase):
        metadata = MetaData()

    class Author(Base):
        __tablename__ = f"{prefix}author"
        id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
        name: Mapped[str] = mapped_column(String(100), unique=True)
        email: Mapped[str | None] = mapped_column(String(200))
        books: Mapped[list["Book"]] = relationship(back_populates="author", order_by="Book.id")

    class Book(Base):
        __tablename__ = f"{prefix}book"
        __table_args__ = (UniqueConstraint("author_id", "title", name=f"{prefix}book_author_title"),) + (
            (Index(f"{prefix}book_published", "published"),) if with_index else ())
        id: Mapped[int] = mapped_column(BigInteger, Identity(start=1, cache=1), primary_key=True)
        author_id: Mapped[int] = mapped_column(ForeignKey(f"{prefix}author.id", name=f"{prefix}book_author_fk"))
        title: Mapped[str] = mapped_column(Text)
        pages: Mapped[int | None] = mapped_column(Integer)
        price: Mapped[decimal.Decimal | None] = mapped_column(Numeric(10, 2))
        in_print: Mapped[bool] = mapped_column(Boolean, default=True)
        published: Mapped[dt.date | None] = mapped_column(Date)
        added: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
        isbn: Mapped[uuid.UUID | None] = mapped_column(Uuid)
        meta: Mapped[dict | None] = mapped_column(JSONB)
        cover: Mapped[bytes | None] = mapped_column(LargeBinary)
        author: Mapped[Author] = relationship(back_populates="books")

    return Base, Author, Book
