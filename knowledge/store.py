"""The database behind the knowledge base: SQLite by default, PostgreSQL in production.

The schema is created and upgraded by the application itself (`Store.migrate`, run by
`flask db upgrade` and when a server starts), so a township never runs SQL by hand; other
commands only check it (`Store.needs_upgrade`). Every change to FAQ entries or items bumps a version number, which
each worker process compares with the one its index was built from.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
from sqlalchemy import Engine, create_engine, event, inspect, or_, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from knowledge.document import Document
from knowledge.models import Base, DisclosureItem, FaqEntry, Meta

log = logging.getLogger(__name__)


def insert_for(dialect: str) -> Any:
    """The dialect's INSERT construct (it has ``on_conflict_do_nothing``): PostgreSQL's or SQLite's."""
    return postgresql_insert if dialect == "postgresql" else sqlite_insert


SCHEMA_VERSION = 6
KB_VERSION_KEY = "kb_version"


def _drop_question_log_channel(session: Session) -> None:
    """1 → 2: drop question_log.channel, always "wechat" and never read.

    It is NOT NULL without a server default, so rows written by a release that no longer knows
    it would be refused. Tolerant: a database without the table or the column is left alone.
    """
    inspector = inspect(session.connection())
    if inspector.has_table("question_log") and "channel" in {c["name"] for c in inspector.get_columns("question_log")}:
        session.execute(text("ALTER TABLE question_log DROP COLUMN channel"))


def _add_item_validity(session: Session) -> None:
    """2 → 3: items carry their status (有效/废止/失效) and an optional 有效期至."""
    present = {c["name"] for c in inspect(session.connection()).get_columns("disclosure_item")}
    if "status" not in present:
        session.execute(text("ALTER TABLE disclosure_item ADD COLUMN status VARCHAR(20)"))
    if "valid_until" not in present:
        session.execute(text("ALTER TABLE disclosure_item ADD COLUMN valid_until DATE"))


def _add_columns(session: Session, table: str, columns: dict[str, str]) -> None:
    """ALTER TABLE … ADD COLUMN for the columns a table lacks (same SQL on SQLite and PostgreSQL)."""
    existing = {c["name"] for c in inspect(session.connection()).get_columns(table)}
    for name, ddl in columns.items():
        if name not in existing:
            session.execute(text(f"ALTER TABLE {table} ADD COLUMN {name} {ddl}"))


def _v3_to_v4(session: Session) -> None:
    # The staff workspace: soft delete, owning office, valid-until, disabling items.
    _add_columns(session, "faq_entry", {"office": "VARCHAR(200)", "valid_until": "DATE", "deleted_at": "TIMESTAMP"})
    _add_columns(session, "disclosure_item", {"enabled": "BOOLEAN NOT NULL DEFAULT TRUE", "deleted_at": "TIMESTAMP"})


def _v4_to_v5(session: Session) -> None:
    # The question log page shows the reply each citizen actually got. (The queue_mark table
    # and the queue's indexes are made by `migrate`'s create_all and index pass.)
    if inspect(session.connection()).has_table("question_log"):
        _add_columns(session, "question_log", {"reply_text": "TEXT"})


def _v5_to_v6(session: Session) -> None:
    # The question log's per-day summary names each row's report group (bot.questionlog_days
    # fills it in at the end of `migrate`, when its grouping mark is not the current one).
    if inspect(session.connection()).has_table("question_day"):
        _add_columns(session, "question_day", {"group_key": "TEXT NOT NULL DEFAULT ''"})


# Upgrades from version N to N+1, run in order by `migrate`. `create_all` already builds the
# newest schema for a new database; these only alter databases made by older releases.
MIGRATIONS: dict[int, Callable[[Session], None]] = {
    1: _drop_question_log_channel, 2: _add_item_validity, 3: _v3_to_v4, 4: _v4_to_v5, 5: _v5_to_v6,
}


# Run at the end of every `Store.migrate`, after the tables exist: a module owning derived
# tables (bot.questionlog_days: the question log's per-day summary) registers its one-time
# build here when it is imported, as its tables register on `Base`.
AFTER_MIGRATE: list[Callable[[Store], None]] = []
# …and how `needs_upgrade` tells that such a step has work to do (a session on the database).
PENDING_AFTER_MIGRATE: list[Callable[[Session], bool]] = []


CONNECT_TIMEOUT = 3  # seconds to reach PostgreSQL before the call fails (and the log spools)
LOCK_WAIT_MS = 5000  # SQLite busy timeout and PostgreSQL lock_timeout: wait for a lock, then fail


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the webhook read while an import writes; busy_timeout waits instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={LOCK_WAIT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _postgres_timeouts(statement_ms: int) -> Callable[[Any, Any], None]:
    def set_timeouts(dbapi_connection: Any, _record: Any) -> None:
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True  # a SET outside any transaction the pool will see
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {statement_ms}")
            cursor.execute(f"SET lock_timeout = {LOCK_WAIT_MS}")
        dbapi_connection.autocommit = autocommit

    return set_timeouts


class Store:
    """Owns the engine and session factory; the only place that knows the database URL."""

    def __init__(self, url: str, *, echo: bool = False, statement_timeout: float = 30.0) -> None:
        """`statement_timeout` (seconds, PostgreSQL): the server cancels any longer statement, so
        a stuck query releases its connection and locks; 0 disables it."""
        self.url = url
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if url.startswith("postgresql"):
            # keepalives: a server that vanished (host down, cable cut) is noticed within ~10 s.
            kwargs.update(pool_pre_ping=True, pool_timeout=CONNECT_TIMEOUT, connect_args={
                "connect_timeout": CONNECT_TIMEOUT, "keepalives": 1, "keepalives_idle": 5,
                "keepalives_interval": 2, "keepalives_count": 3, "tcp_user_timeout": 10_000})
        self.engine: Engine = create_engine(url, **kwargs)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            event.listen(self.engine, "connect", _postgres_timeouts(int(statement_timeout * 1000)))
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._kb_listeners: list[Callable[[], None]] = []

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back if it raises."""
        with self._sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def migrate(self) -> None:
        """Create missing tables and run pending upgrades; safe to call at every start."""
        Base.metadata.create_all(self.engine)
        with self.session() as session:
            row = session.get(Meta, "schema_version")
            current = int(row.value) if row else SCHEMA_VERSION
            for version in range(current, SCHEMA_VERSION):
                log.info("upgrading schema from version %d", version)
                MIGRATIONS[version](session)
            session.merge(Meta(key="schema_version", value=str(SCHEMA_VERSION)))
        # create_all skips tables that exist, and with them any index added in a later release
        # (after the upgrades above, which may add the columns such an index needs).
        for table in Base.metadata.sorted_tables:
            for index in table.indexes:
                index.create(self.engine, checkfirst=True)
        for step in AFTER_MIGRATE:
            step(self)

    def needs_upgrade(self) -> bool:
        """True when `migrate` has work to do: a table is missing or the schema version is older.

        One cheap look (table names, one row), so commands can refuse early with a clear
        message instead of failing halfway on a missing table.
        """
        existing = set(inspect(self.engine).get_table_names())
        if not existing.issuperset(Base.metadata.tables):
            return True
        with self.session() as session:
            row = session.get(Meta, "schema_version")
            return row is None or int(row.value) < SCHEMA_VERSION or any(
                pending(session) for pending in PENDING_AFTER_MIGRATE)

    # -- knowledge-base version ------------------------------------------------------------

    def kb_version(self) -> int:
        with self.session() as session:
            row = session.get(Meta, KB_VERSION_KEY)
            return int(row.value) if row else 0

    def bump_kb_version(self, session: Session) -> None:
        """Call inside the same transaction as the edit, so readers never see one without the other."""
        row = session.get(Meta, KB_VERSION_KEY, with_for_update=True)
        if row is None:
            session.add(Meta(key=KB_VERSION_KEY, value="1"))
        else:
            row.value = str(int(row.value) + 1)

    def on_kb_change(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every committed edit (the app publishes it to other processes)."""
        self._kb_listeners.append(listener)

    def kb_changed(self) -> None:
        """Tell the listeners that an edit was committed; a failing listener never undoes it."""
        for listener in self._kb_listeners:
            try:
                listener()
            except Exception:
                log.warning("a knowledge-base change listener failed", exc_info=True)

    def is_empty(self) -> bool:
        with self.session() as session:
            # What is in the 回收站 does not count: staff emptied the knowledge base.
            has_faq = session.execute(select(FaqEntry.id).where(FaqEntry.deleted_at.is_(None)).limit(1)).first()
            has_item = session.execute(
                select(DisclosureItem.id).where(DisclosureItem.deleted_at.is_(None)).limit(1)).first()
            return not has_faq and not has_item

    # -- reading for the index ---------------------------------------------------------------

    def load_documents(self) -> list[Document]:
        """Every enabled FAQ entry and every item, as immutable values for the index."""
        return [doc for _stamp, doc in self.stamped_documents({}).values()]

    def stamped_documents(self, previous: Mapping[str, tuple[object, Document]]) -> dict[str, tuple[object, Document]]:
        """Every enabled FAQ entry and every item by key (`faq:12`), with its `updated_at`.

        Every worker runs this on every edit, so it reads as little as it can: first the id
        and `updated_at` of every row, then the full columns (as plain tuples, not ORM
        objects) only of rows that are new or changed since `previous`; the others keep
        their `Document` from `previous`. Ordered by kind and id.
        """
        with self.session() as session:
            # What citizens may be told: enabled, not in the 回收站, not past its valid-until date.
            today = datetime.date.today()
            live_faq = (FaqEntry.enabled.is_(True) & FaqEntry.deleted_at.is_(None)
                        & or_(FaqEntry.valid_until.is_(None), FaqEntry.valid_until >= today))
            live_item = DisclosureItem.enabled.is_(True) & DisclosureItem.deleted_at.is_(None)
            faq_stamps = session.execute(
                select(FaqEntry.id, FaqEntry.updated_at).where(live_faq).order_by(FaqEntry.id)
            ).all()
            item_stamps = session.execute(
                select(DisclosureItem.id, DisclosureItem.updated_at).where(live_item).order_by(DisclosureItem.id)
            ).all()
            fresh: dict[str, Document] = {}
            for kind, model, columns, stamps, make in (
                ("faq", FaqEntry, _FAQ_COLUMNS, faq_stamps, faq_document),
                ("item", DisclosureItem, _ITEM_COLUMNS, item_stamps, item_document),
            ):
                stale = [i for i, at in stamps if previous.get(f"{kind}:{i}", _UNSEEN)[0] != at]
                query = select(*(getattr(model, name) for name in columns))
                if len(stale) * 2 > len(stamps):  # mostly new (a first build): one plain read
                    chunks = [query.where(live_faq if model is FaqEntry else live_item)]
                else:
                    chunks = [query.where(model.id.in_(stale[n : n + 1000])) for n in range(0, len(stale), 1000)]
                for chunk in chunks:
                    for row in session.execute(chunk):
                        fresh[f"{kind}:{row.id}"] = make(row)  # type: ignore[arg-type]  # a Row of the columns
        result: dict[str, tuple[object, Document]] = {}
        for kind, stamps in (("faq", faq_stamps), ("item", item_stamps)):
            for row_id, at in stamps:
                key = f"{kind}:{row_id}"
                doc = fresh.get(key) or previous.get(key, (None, None))[1]
                if doc is not None:  # None: deleted between the two reads; the next check sees it
                    result[key] = (at, doc)
        return result

    def live_stamps(self, since: datetime.datetime | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Id and `updated_at` (µs, -1 when unknown) of every entry citizens may be told, per kind,
        ids ascending: what tells a worker what changed since a build.

        With `since`, only rows updated from then on are read with their stamp (the others get
        `NOT_READ`): every worker does this on every reload, and converting 20,000 timestamps
        costs more than the rest of a one-entry delta."""
        with self.session() as session:
            live_faq, live_item = _live_filters()
            result = {}
            connection = session.connection()  # Core rows, not ORM objects
            for kind, model, where in (("faq", FaqEntry, live_faq), ("item", DisclosureItem, live_item)):
                if since is None:
                    rows = connection.execute(select(model.id, model.updated_at).where(where).order_by(model.id)).all()
                    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
                    at = np.fromiter(map(_micros, (r[1] for r in rows)), dtype=np.int64, count=len(rows))
                else:
                    ids = np.array(connection.execute(select(model.id).where(where).order_by(model.id)).scalars().all(),
                                   dtype=np.int64)
                    at = np.full(len(ids), NOT_READ, dtype=np.int64)
                    recent = connection.execute(select(model.id, model.updated_at).where(
                        where, or_(model.updated_at >= since, model.updated_at.is_(None)))).all()
                    if recent:
                        at[np.searchsorted(ids, [r[0] for r in recent])] = [_micros(r[1]) for r in recent]
                result[kind] = (ids, at)
            return result

    def documents_by_id(self, kind: str, ids: list[int]) -> list[Document]:
        """The live entries of `kind` with these ids (ordered by id); absent or retired ones are left out."""
        model, columns, make = (FaqEntry, _FAQ_COLUMNS, faq_document) if kind == "faq" else (
            DisclosureItem, _ITEM_COLUMNS, item_document)
        where = _live_filters()[0 if kind == "faq" else 1]
        found: list[Document] = []
        with self.session() as session:
            for n in range(0, len(ids), 1000):
                query = select(*(getattr(model, c) for c in columns)).where(where, model.id.in_(ids[n : n + 1000]))
                found += [make(row) for row in session.execute(query.order_by(model.id))]  # type: ignore[arg-type]
        return found

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))


def _live_filters() -> tuple[Any, Any]:
    """What citizens may be told: enabled, not in the 回收站, not past its valid-until date."""
    today = datetime.date.today()
    live_faq = (FaqEntry.enabled.is_(True) & FaqEntry.deleted_at.is_(None)
                & or_(FaqEntry.valid_until.is_(None), FaqEntry.valid_until >= today))
    live_item = DisclosureItem.enabled.is_(True) & DisclosureItem.deleted_at.is_(None)
    return live_faq, live_item


NOT_READ = -2  # a stamp `live_stamps` did not read: the row is older than what was asked for
_EPOCH = datetime.datetime(1970, 1, 1)
_MICROSECOND = datetime.timedelta(microseconds=1)


def _micros(at: datetime.datetime | None) -> int:
    """`updated_at` as an integer (its wall-clock fields, as stored), -1 for rows without one."""
    if at is None:
        return -1
    return (at.replace(tzinfo=None) - _EPOCH) // _MICROSECOND


_UNSEEN = (object(), None)  # a stamp no row has (rows of old releases may have no updated_at)
_FAQ_COLUMNS = ("id", "question", "answer", "url", "similar_json", "category")
_ITEM_COLUMNS = ("id", "title", "body", "url", "keywords", "category", "published", "doc_number", "index_number",
                 "publisher", "status", "valid_until")


def faq_document(faq: FaqEntry) -> Document:
    """A FAQ row (an entity or a row of `_FAQ_COLUMNS`) as the index's immutable value."""
    return Document(
        kind="faq",
        id=faq.id,
        title=faq.question,
        body=faq.answer,
        url=faq.url or None,
        similar=tuple(json.loads(faq.similar_json or "[]")),
        category=faq.category or None,
    )


def item_document(item: DisclosureItem) -> Document:
    published = item.published
    if isinstance(published, datetime.datetime):
        published = published.date()
    return Document(
        kind="item",
        id=item.id,
        title=item.title,
        body=item.body or "",
        url=item.url or None,
        keywords=tuple(k for k in (item.keywords or "").split() if k),
        category=item.category or None,
        published=published,
        doc_number=item.doc_number or None,
        index_number=item.index_number or None,
        publisher=item.publisher or None,
        status=item.status or None,
        valid_until=item.valid_until,
    )
