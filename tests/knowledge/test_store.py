"""The store under the knowledge base, and the bundled sample loaded into it on first start.

Every test runs against SQLite (a temporary file) and the real PostgreSQL.
"""

from __future__ import annotations

import datetime
import json

import pytest
import sqlalchemy
from sqlalchemy import select

from knowledge.editor import FaqData, ItemData, KbEditor
from knowledge.models import DisclosureItem, FaqEntry
from knowledge.sample import SAMPLE_DIR, SAMPLE_EDITOR, load_sample_if_empty
from knowledge.store import Store


def test_migrate_twice_keeps_the_data(store: Store) -> None:
    KbEditor(store).save_faq(FaqData(question="问", answer="答"))
    store.migrate()
    assert (store.is_empty(), store.kb_version()) == (False, 1)


def test_a_new_store_is_empty_at_version_zero(store: Store) -> None:
    assert (store.is_empty(), store.kb_version()) == (True, 0)


def test_a_version_bump_is_rolled_back_with_its_transaction(store: Store) -> None:
    with pytest.raises(RuntimeError), store.session() as session:
        session.add(FaqEntry(question="问", question_key="问", answer="答"))
        store.bump_kb_version(session)
        raise RuntimeError("edit failed")
    assert (store.is_empty(), store.kb_version()) == (True, 0)


def test_load_documents_skips_disabled_faq_and_carries_item_metadata(store: Store) -> None:
    editor = KbEditor(store)
    hidden = editor.save_faq(FaqData(question="隐藏的问题", answer="答")).id or 0
    editor.set_faq_enabled(hidden, False)
    editor.save_item(ItemData(title="标题", body="正文", index_number="A-1", doc_number="某发〔2023〕1号",
                              published="2023-01-02", publisher="某镇人民政府", keywords="甲 乙"))
    [doc] = store.load_documents()
    assert (doc.kind, doc.index_number, doc.doc_number, doc.published, doc.publisher, doc.keywords) == (
        "item", "A-1", "某发〔2023〕1号", datetime.date(2023, 1, 2), "某镇人民政府", ("甲", "乙"))


def test_sample_is_loaded_into_an_empty_store(store: Store) -> None:
    assert load_sample_if_empty(store) is True
    assert len(store.load_documents()) > 25


def test_sample_is_not_loaded_twice(store: Store) -> None:
    load_sample_if_empty(store)
    version = store.kb_version()
    assert (load_sample_if_empty(store), store.kb_version()) == (False, version)


def test_sample_is_not_loaded_into_a_store_that_has_data(store: Store) -> None:
    KbEditor(store).save_faq(FaqData(question="本镇的问题", answer="答"))
    load_sample_if_empty(store)
    assert len(store.load_documents()) == 1


def test_sample_does_not_come_back_after_staff_emptied_the_store(store: Store) -> None:
    editor = KbEditor(store)
    editor.delete_faq(editor.save_faq(FaqData(question="问", answer="答")).id or 0)
    assert (load_sample_if_empty(store), store.is_empty()) == (False, True)


def test_sample_rows_are_marked_as_sample_data(store: Store) -> None:
    load_sample_if_empty(store)
    with store.session() as session:
        editors = set(session.scalars(select(FaqEntry.editor)))
    assert editors == {SAMPLE_EDITOR}


def test_sample_item_carries_the_seed_documents_exact_metadata(store: Store) -> None:
    load_sample_if_empty(store)
    with store.session() as session:
        [item] = session.scalars(select(DisclosureItem))
    assert (item.index_number, item.doc_number, item.published, item.publisher, item.disclosure_period,
            item.category, item.keywords) == (
        "640122-150/2018-93016", "金政发〔2018〕293号", datetime.date(2018, 12, 10), "金贵镇人民政府", "长期公开",
        "政府工作报告/工作总结", "工作总结")


def test_every_sample_faq_has_two_to_four_similar_questions() -> None:
    rows = [json.loads(line) for line in (SAMPLE_DIR / "faq.jsonl").read_text(encoding="utf-8").splitlines()]
    assert 25 <= len(rows) <= 40
    assert all(2 <= len(row["similar"]) <= 4 for row in rows)


def test_migrate_adds_an_index_missing_from_an_existing_table(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(sqlalchemy.text("DROP INDEX ix_question_log_user_asked_at"))
    store.migrate()
    names = {ix["name"] for ix in sqlalchemy.inspect(store.engine).get_indexes("question_log")}
    assert "ix_question_log_user_asked_at" in names


def test_a_version_1_database_gains_the_item_validity_columns(tmp_path) -> None:
    from sqlalchemy import inspect as sa_inspect
    from sqlalchemy import text as sa_text

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    old = Store(url)
    with old.engine.begin() as conn:
        conn.execute(sa_text("CREATE TABLE disclosure_item (id INTEGER PRIMARY KEY, index_number VARCHAR(100), "
                             "doc_number VARCHAR(200), title VARCHAR(500), body TEXT, url VARCHAR(1000), "
                             "published DATE, publisher VARCHAR(200), category VARCHAR(200), keywords VARCHAR(500), "
                             "disclosure_period VARCHAR(100), created_at DATETIME, updated_at DATETIME, "
                             "editor VARCHAR(100))"))
        conn.execute(sa_text("INSERT INTO disclosure_item (id, title, body, keywords) VALUES (1, '旧信息', '', '')"))
        conn.execute(sa_text("CREATE TABLE kb_meta (key VARCHAR(100) PRIMARY KEY, value VARCHAR(200))"))
        conn.execute(sa_text("INSERT INTO kb_meta VALUES ('schema_version', '1')"))
    old.engine.dispose()
    store = Store(url)
    store.migrate()
    columns = {c["name"] for c in sa_inspect(store.engine).get_columns("disclosure_item")}
    assert {"status", "valid_until"} <= columns
    assert [d.title for d in store.load_documents()] == ["旧信息"]
    store.engine.dispose()


def test_postgres_cancels_a_statement_past_the_statement_timeout(postgres_url: str) -> None:
    slow = Store(postgres_url, statement_timeout=0.2)
    with pytest.raises(sqlalchemy.exc.OperationalError, match="statement timeout"), slow.session() as session:
        session.execute(sqlalchemy.text("SELECT pg_sleep(5)"))
    with slow.session() as session:  # the connection is usable again, search_path kept
        assert session.execute(sqlalchemy.text("SHOW statement_timeout")).scalar() == "200ms"
    slow.engine.dispose()


def test_a_version_1_database_is_upgraded_keeping_its_entries(store: Store) -> None:
    """Schema 1 had no trash, office, valid-until or item switch; migrate adds them and keeps the rows."""
    from sqlalchemy import inspect, text

    editor = KbEditor(store)
    faq_id = editor.save_faq(FaqData(question="问", answer="答")).id
    with store.engine.begin() as conn:
        for index in ("ix_faq_entry_list", "ix_disclosure_item_list"):  # built on the new columns
            conn.execute(text(f"DROP INDEX {index}"))
        for table, column in (("faq_entry", "office"), ("faq_entry", "valid_until"), ("faq_entry", "deleted_at"),
                              ("disclosure_item", "enabled"), ("disclosure_item", "deleted_at")):
            conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        conn.execute(text("UPDATE kb_meta SET value = '1' WHERE key = 'schema_version'"))
    upgraded = Store(store.url)
    upgraded.migrate()
    columns = {c["name"] for c in inspect(upgraded.engine).get_columns("faq_entry")}
    assert {"office", "valid_until", "deleted_at"} <= columns
    assert [d.key for d in upgraded.load_documents()] == [f"faq:{faq_id}"]
    assert "ix_faq_entry_list" in {i["name"] for i in inspect(upgraded.engine).get_indexes("faq_entry")}
    upgraded.engine.dispose()
