"""Learning from citizens' choices (bot/learning.py), through /wechat as WeChat drives it:
picks become evidence unless doubted within the window, enough distinct citizens make a
suggested 相似问法, staff's decision (or auto mode) settles it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, inspect, select

from bot import learning
from bot.learning_table import ChoiceEvidence, LearnedSimilar
from bot.runtime import Runtime, get_runtime
from knowledge.editor import EditError, FaqData
from knowledge.models import AuditEvent, FaqEntry, Revision
from tests.support import DIBAO, OTHER, add_knowledge, ask

WORDING = "低保咋办"  # a list on this knowledge base; entry 1 of it is 低保在哪里办理？
PICKED = "低保在哪里办理？"
LATER = 10_000.0  # seconds: every pick in these tests has settled by then


@pytest.fixture
def bot(make_app: Callable[..., Flask]) -> Flask:
    app = make_app()
    add_knowledge(get_runtime(app), faqs=[FaqData(question=q, answer=a) for q, a in DIBAO + OTHER])
    return app


def citizen() -> str:
    return f"o-{uuid.uuid4().hex[:12]}"


def pick(client: FlaskClient, user: str, question: str = WORDING, number: str = "1") -> str:
    listed = ask(client, question, user=user)
    assert "1. " in listed, listed
    return ask(client, number, user=user)


def evidence(runtime: Runtime) -> list[tuple[str, bool]]:
    runtime.questions.flush()
    with runtime.db.session() as session:
        rows = session.scalars(select(ChoiceEvidence).order_by(ChoiceEvidence.id)).all()
        titles = dict(session.execute(select(FaqEntry.id, FaqEntry.question)).all())
        return [(titles[row.entry_id], row.doubted) for row in rows]


def refresh(runtime: Runtime) -> list[int]:
    runtime.questions.flush()
    assert runtime.learning is not None
    return runtime.learning.refresh(now=time.time() + LATER)


def waiting(runtime: Runtime) -> list[learning.Suggestion]:
    return learning.suggestions(runtime.db)


def test_a_pick_followed_by_silence_is_recorded_pseudonymised_and_masked(bot: Flask) -> None:
    runtime, user = get_runtime(bot), citizen()
    assert PICKED in pick(bot.test_client(), user, "低保咋办 我电话13812345678")
    assert evidence(runtime) == [(PICKED, False)]
    with runtime.db.session() as session:
        row = session.scalars(select(ChoiceEvidence)).one()
        assert user not in row.user_hash and "13812345678" not in row.wording and "低保咋办" in row.wording


@pytest.mark.parametrize("then", ["不满意", "更多", "低保标准每月多少钱"])
def test_a_pick_followed_by_doubt_within_the_window_is_not_evidence(bot: Flask, then: str) -> None:
    runtime, client, user = get_runtime(bot), bot.test_client(), citizen()
    pick(client, user)
    ask(client, then, user=user)
    assert evidence(runtime) == [(PICKED, True)]


def test_a_second_pick_from_the_same_list_replaces_the_first(bot: Flask) -> None:
    runtime, client, user = get_runtime(bot), bot.test_client(), citizen()
    pick(client, user)
    ask(client, "2", user=user)
    assert [doubted for _, doubted in evidence(runtime)] == [True, False]


def test_a_new_question_after_the_window_leaves_the_pick_standing(bot: Flask) -> None:
    runtime, client, user = get_runtime(bot), bot.test_client(), citizen()
    clock = [time.time()]
    runtime.conversation.clock = lambda: clock[0]
    pick(client, user)
    clock[0] += runtime.settings.learn_window + 1
    ask(client, "低保标准每月多少钱", user=user)
    assert evidence(runtime) == [(PICKED, False)]


def test_enough_distinct_citizens_make_a_suggestion_with_its_evidence(bot: Flask) -> None:
    runtime, client = get_runtime(bot), bot.test_client()
    for question in (WORDING, WORDING, "低保咋办？"):  # one group however it is punctuated
        pick(client, citizen(), question)
    assert len(refresh(runtime)) == 1
    [suggestion] = waiting(runtime)
    assert (suggestion.wording, suggestion.entry_question) == (WORDING, PICKED)
    assert (suggestion.citizens, suggestion.group_citizens, suggestion.choices) == (3, 3, 3)


def test_picks_still_in_the_window_do_not_count_yet(bot: Flask) -> None:
    runtime, client = get_runtime(bot), bot.test_client()
    for _ in range(3):
        pick(client, citizen())
    runtime.questions.flush()
    assert runtime.learning is not None and runtime.learning.refresh(now=time.time()) == []


def test_one_citizen_repeating_a_pick_cannot_make_a_suggestion(bot: Flask) -> None:
    runtime, client, user = get_runtime(bot), bot.test_client(), citizen()
    pick(client, citizen())  # one other citizen: two in all, one short of the threshold
    for _ in range(6):
        pick(client, user)
        ask(client, "满意", user=user)
    assert refresh(runtime) == [] and waiting(runtime) == []


def test_a_group_split_between_entries_makes_no_suggestion(bot: Flask) -> None:
    runtime, client = get_runtime(bot), bot.test_client()
    for number in ("1", "1", "1", "2", "2", "2"):
        pick(client, citizen(), number=number)
    assert refresh(runtime) == []


def test_a_waiting_suggestion_lapses_when_its_group_splits_and_returns_when_it_agrees_again(bot: Flask) -> None:
    """The writer thread refreshes as evidence arrives: a suggestion made from the first three
    citizens must not stay on staff's list once later citizens of the group choose otherwise."""
    runtime, client = get_runtime(bot), bot.test_client()
    for _ in range(3):
        pick(client, citizen())
    [made] = refresh(runtime)
    for _ in range(3):
        pick(client, citizen(), number="2")
    assert refresh(runtime) == [] and waiting(runtime) == []  # 3 of 6 citizens: no longer 60 %
    for _ in range(3):
        pick(client, citizen())
    assert refresh(runtime) == [made]  # 6 of 9
    [suggestion] = waiting(runtime)
    assert (suggestion.entry_question, suggestion.citizens, suggestion.group_citizens) == (PICKED, 6, 9)


def test_a_lapsed_suggestion_keeps_its_true_counts_below_the_threshold(bot: Flask) -> None:
    runtime, client = get_runtime(bot), bot.test_client()
    runtime.conversation.clock = lambda: time.time() - 400 * 86400
    pick(client, citizen())
    runtime.conversation.clock = time.time
    pick(client, citizen())
    pick(client, citizen())
    [made] = refresh(runtime)
    result = bot.test_cli_runner().invoke(args=["purge", "--older-than", "365d"])
    assert result.exit_code == 0, result.output
    assert refresh(runtime) == [] and waiting(runtime) == []  # 2 citizens left of the 3 needed
    [lapsed] = learning.suggestions(runtime.db, ("lapsed",))
    assert (lapsed.id, lapsed.citizens, lapsed.group_citizens) == (made, 2, 2)


def test_approving_adds_the_similar_question_and_then_it_is_answered_directly(bot: Flask) -> None:
    runtime, client = get_runtime(bot), bot.test_client()
    assert "1. " in ask(client, WORDING, user=citizen())
    for _ in range(3):
        pick(client, citizen())
    [suggestion_id] = refresh(runtime)
    learning.approve(runtime.db, suggestion_id, "张编辑")
    runtime.kb.maybe_reload(wait=True)
    with runtime.db.session() as session:
        entry = session.scalars(select(FaqEntry).where(FaqEntry.question == PICKED)).one()
        assert WORDING in entry.similar
        assert session.scalars(select(Revision).where(Revision.entity_id == entry.id)).all()
        assert session.scalars(select(AuditEvent).where(AuditEvent.actor == "张编辑")).all()
    reply = ask(client, WORDING, user=citizen())
    assert "到镇便民服务中心民政窗口办理" in reply and "1. " not in reply
    with pytest.raises(EditError):
        learning.approve(runtime.db, suggestion_id, "张编辑")  # decided once


def test_a_rejected_suggestion_is_never_made_again(bot: Flask) -> None:
    runtime, client = get_runtime(bot), bot.test_client()
    for _ in range(3):
        pick(client, citizen())
    [suggestion_id] = refresh(runtime)
    learning.reject(runtime.db, suggestion_id, "张编辑")
    for _ in range(3):
        pick(client, citizen())
    assert refresh(runtime) == [] and waiting(runtime) == []


def test_auto_mode_adds_the_similar_question_without_staff(make_app: Callable[..., Flask]) -> None:
    app = make_app(LEARN_AUTO_APPROVE="true")
    runtime, client = get_runtime(app), app.test_client()
    add_knowledge(runtime, faqs=[FaqData(question=q, answer=a) for q, a in DIBAO + OTHER])
    for _ in range(3):
        pick(client, citizen())
    refresh(runtime)
    assert waiting(runtime) == []
    with runtime.db.session() as session:
        entry = session.scalars(select(FaqEntry).where(FaqEntry.question == PICKED)).one()
        assert WORDING in entry.similar and entry.editor == learning.AUTO_EDITOR
        assert session.scalars(select(LearnedSimilar.status)).all() == ["auto"]


def test_evidence_and_suggestions_survive_a_restart(bot: Flask, make_app: Callable[..., Flask]) -> None:
    client = bot.test_client()
    for _ in range(3):
        pick(client, citizen())
    get_runtime(bot).questions.flush()
    again = get_runtime(make_app())  # the same instance folder and database
    assert len(refresh(again)) == 1


def test_an_existing_database_gains_the_learning_tables_on_upgrade(bot: Flask) -> None:
    db = get_runtime(bot).db
    for table in (LearnedSimilar.__table__, ChoiceEvidence.__table__):
        table.drop(db.engine)  # type: ignore[attr-defined]
    assert db.needs_upgrade()
    db.migrate()
    assert {"choice_evidence", "learned_similar"} <= set(inspect(db.engine).get_table_names())
    with db.session() as session:
        session.execute(delete(ChoiceEvidence))


def test_learning_works_on_postgresql(instances: Callable[..., Flask]) -> None:
    app = instances(redis=False)
    runtime, client = get_runtime(app), app.test_client()
    add_knowledge(runtime, faqs=[FaqData(question=q, answer=a) for q, a in DIBAO + OTHER])
    for _ in range(3):
        pick(client, citizen())
    [suggestion_id] = refresh(runtime)
    learning.approve(runtime.db, suggestion_id, "张编辑")
    runtime.kb.maybe_reload(wait=True)
    assert "1. " not in ask(client, WORDING, user=citizen())


def test_evidence_older_than_the_retention_is_purged_with_the_questions(bot: Flask) -> None:
    runtime = get_runtime(bot)
    runtime.conversation.clock = lambda: time.time() - 400 * 86400
    pick(bot.test_client(), citizen())
    pick(bot.test_client(), citizen())
    runtime.questions.flush()
    result = bot.test_cli_runner().invoke(args=["purge", "--older-than", "365d"])
    assert result.exit_code == 0, result.output
    assert evidence(runtime) == []


def test_evidence_waits_in_the_spool_while_the_database_is_down_and_is_replayed(bot: Flask) -> None:
    runtime, client = get_runtime(bot), bot.test_client()
    runtime.questions.flush()
    real = runtime.questions.store.session

    def down() -> None:
        raise OSError("database down")

    runtime.questions.store.session = down  # type: ignore[method-assign,assignment]
    try:
        pick(client, citizen())
        runtime.questions.flush()
    finally:
        runtime.questions.store.session = real  # type: ignore[method-assign]
    assert runtime.questions.spool.pending()
    runtime.questions.flush_spool()
    assert evidence(runtime) == [(PICKED, False)]


def test_opening_a_related_entry_after_not_found_is_evidence_too(bot: Flask) -> None:
    runtime, client, user = get_runtime(bot), bot.test_client(), citizen()
    reply = ask(client, "低保怎么弄", user=user)  # "not found", with related entries listed
    assert "暂未收录" in reply and "2. 低保申请需要什么材料？" in reply
    ask(client, "2", user=user)
    assert evidence(runtime) == [("低保申请需要什么材料？", False)]
