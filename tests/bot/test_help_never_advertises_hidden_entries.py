"""Help and not-found replies suggest popular entries; never one that staff disabled or deleted."""

from __future__ import annotations

from flask import Flask

from bot.runtime import get_runtime
from knowledge.editor import KbEditor
from knowledge.models import FaqEntry
from tests.support import OTHER, add_knowledge, ask


def popular(app: Flask, question: str) -> int:
    runtime = get_runtime(app)
    client = app.test_client()
    for n in range(3):
        ask(client, question, user=f"citizen-{n}")
    runtime.questions.flush()
    with runtime.db.session() as session:
        return session.query(FaqEntry.id).filter(FaqEntry.question == question).scalar()


def test_help_lists_a_popular_entry_until_it_is_disabled_or_deleted(app: Flask) -> None:
    runtime = get_runtime(app)
    add_knowledge(runtime, OTHER)
    disabled = popular(app, "高龄津贴怎么申领？")
    deleted = popular(app, "结婚登记在哪里办？")
    help_text = ask(app.test_client(), "帮助", user="newcomer")
    assert "高龄津贴怎么申领" in help_text and "结婚登记在哪里办" in help_text
    editor = KbEditor(runtime.db, editor="test")
    editor.set_faq_enabled(disabled, False)
    editor.delete_faq(deleted)
    runtime.kb.maybe_reload(wait=True)
    help_text = ask(app.test_client(), "帮助", user="another-newcomer")
    assert "高龄津贴怎么申领" not in help_text and "结婚登记在哪里办" not in help_text
