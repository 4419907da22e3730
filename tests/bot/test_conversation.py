"""The conversation: every message kind, lists and choices, follow-ups, feedback, sessions.

The knowledge base is real (built from rows this file inserts); sessions run on the real
Redis and on the in-process store alike.
"""

from __future__ import annotations

import dataclasses
import datetime
import itertools
from typing import Any

import pytest
from flask import Flask

from bot import wording
from bot.admin.probe import probe
from bot.commands import command_form, parse_choice
from bot.config import Township
from bot.conversation import Conversation
from bot.privacy import pseudonymise
from bot.redis_state import RedisStore
from bot.runtime import Runtime, get_runtime
from bot.state import MemoryStore, ResilientStore, StateStore
from bot.turn import Turn
from bot.wechat.messages import Message
from bot.wechat.replies import TEXT_LIMIT_BYTES, TextReply
from knowledge.decision import Reason
from knowledge.models import DisclosureItem, FaqEntry
from knowledge.policy import AnswerPolicy
from knowledge.thresholds import DEFAULT_THRESHOLDS
from tests.support import DIBAO, OTHER, FakeClock

ITEM_URL = "https://www.helan.gov.cn/xxgk/fp/2018.html"
TOWNSHIP = Township(
    name="金贵镇人民政府",
    short_name="金贵镇",
    phone="0951-8000000",
    address="金贵镇政府一楼便民服务中心",
    office_hours="工作日 9:00—17:30",
    disclosure_channels="门户网站“依申请公开”栏目",
    staff_contact="民生服务中心 王老师",
)
HOT = ["高龄津贴怎么申领", "低保标准每月多少钱", "残疾人补贴"]

POVERTY_BODY = (
    "2018年，我镇扎实推进脱贫攻坚工作。"
    "目前全镇共有建档立卡贫困户1329人。"
    "2018年累计投入扶贫资金300万元，用于贫困户生活、教育及医疗补助。"
    "硬化扶贫产业项目道路3.2公里。"
    "全年发放宣传手册8000余份。"
)


def add_knowledge(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        for n, (question, answer) in enumerate(DIBAO + OTHER):
            url = "https://www.helan.gov.cn/faq/dibao.html" if n == 0 else None
            session.add(FaqEntry(question=question, question_key=question, answer=answer, url=url))
        session.add(
            DisclosureItem(
                title="金贵镇2018年扶贫工作情况",
                body=POVERTY_BODY,
                url=ITEM_URL,
                published=datetime.date(2018, 12, 10),
                doc_number="金政发〔2018〕293号",
            )
        )
        session.add(DisclosureItem(title="关于秸秆禁烧的通告", body="全镇范围内禁止露天焚烧秸秆。违者依法处罚。"))
        runtime.db.bump_kb_version(session)
    runtime.kb.maybe_reload(wait=True)


@pytest.fixture
def kb_runtime(app: Flask) -> Runtime:
    runtime = get_runtime(app)
    add_knowledge(runtime)
    return runtime


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> StateStore:
    if request.param == "memory":
        return ResilientStore(MemoryStore())
    url, prefix = request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix")
    return ResilientStore(RedisStore(url, prefix=prefix))


def build(runtime: Runtime, store: StateStore, **overrides) -> Conversation:
    settings = dataclasses.replace(
        runtime.settings,
        township=TOWNSHIP,
        menu_topics={"MENU_DIBAO": "低保", "MENU_POVERTY": "扶贫资金"},
        **overrides,
    )
    return Conversation(runtime.kb, store, settings, hot_topics=lambda: list(HOT))


@pytest.fixture
def conv(kb_runtime: Runtime, store: StateStore) -> Conversation:
    return build(kb_runtime, store)


_ids = itertools.count(1)


def pseudonym(conv: Conversation, message: Message) -> str:
    """The message key as the session and the question log hold it: never the OpenID."""
    return pseudonymise(message.dedupe_key, conv.settings.user_hash_secret)


def text(content: str, user: str = "openid-a") -> Message:
    return Message(to_user="gh_1", from_user=user, create_time=1700000000, msg_type="text",
                   msg_id=str(next(_ids)), content=content)


def message(msg_type: str, user: str = "openid-a", **fields: Any) -> Message:
    return Message(to_user="gh_1", from_user=user, create_time=1700000000 + next(_ids), msg_type=msg_type,
                   msg_id=str(next(_ids)), **fields)


def event(name: str, key: str | None = None, user: str = "openid-a") -> Message:
    return Message(to_user="gh_1", from_user=user, create_time=1700000000 + next(_ids), msg_type="event",
                   event=name, event_key=key)


def content(turn: Turn) -> str:
    assert isinstance(turn.reply, TextReply), turn
    return turn.reply.content


def titles(turn: Turn) -> list[str]:
    return [line.split(". ", 1)[1] for line in content(turn).splitlines() if ". " in line and line[0].isdigit()]


# -- the scripted dialogue -----------------------------------------------------------------------


def test_dialogue_script(conv: Conversation) -> None:
    listed = conv.respond(first := text("低保"))
    assert listed.kind == "choices" and len(titles(listed)) == 5
    assert "回复序号查看详情" in content(listed) and "更多" in content(listed)

    second = titles(listed)[1]
    chosen = conv.respond(text("2"))
    assert chosen.kind == "answer_faq" and content(chosen).startswith(f"【{second}】")

    more = conv.respond(text("更多"))
    assert more.kind == "choices" and content(more).splitlines()[1].startswith("6. ")

    follow = conv.respond(asked := text("需要什么材料"))
    assert follow.kind == "answer_faq" and "户口簿、身份证和家庭收入证明" in content(follow)

    fresh = conv.respond(text("高龄津贴怎么申领"))
    assert "年满80周岁" in content(fresh)

    missing = conv.respond(text("宠物狗疫苗接种"))
    assert missing.kind == "not_found" and missing.answered is False

    conv.respond(asked := text("低保申请需要什么材料"))
    rated = conv.respond(text("满意"))
    assert rated.feedback == (pseudonym(conv, asked), "satisfied")
    assert first.dedupe_key != asked.dedupe_key


# -- answers -------------------------------------------------------------------------------------


def test_clear_question_gets_the_faq_answer_with_link(conv: Conversation) -> None:
    turn = conv.respond(text("城乡低保怎么申请"))
    assert turn.kind == "answer_faq" and "详情：https://www.helan.gov.cn/faq/dibao.html" in content(turn)


def test_answer_turn_carries_question_and_result_for_the_log(conv: Conversation) -> None:
    turn = conv.respond(text("高龄津贴怎么申领？"))
    assert turn.question == "高龄津贴怎么申领？" and turn.result is not None and turn.answered


def test_item_answer_quotes_the_matching_sentence_first_then_its_source(conv: Conversation) -> None:
    turn = conv.respond(text("扶贫资金投入了多少"))
    lines = content(turn).splitlines()
    assert turn.kind == "answer_item" and lines[0].startswith("2018年累计投入扶贫资金300万元")
    assert "发布日期：2018-12-10" in lines and "文号：金政发〔2018〕293号" in lines
    assert f"原文：{ITEM_URL}" in lines


def test_item_without_link_is_answered_without_a_link_line(conv: Conversation) -> None:
    turn = conv.respond(text("秸秆禁烧"))
    assert turn.kind == "answer_item" and "——摘自《关于秸秆禁烧的通告》" in content(turn)
    assert "原文：" not in content(turn)


def test_long_answer_fits_the_byte_limit(kb_runtime: Runtime, store: StateStore) -> None:
    with kb_runtime.db.session() as session:
        session.add(FaqEntry(question="扬尘治理有什么要求？", question_key="扬尘治理有什么要求？",
                             answer="施工工地必须落实围挡、覆盖、洒水等防尘措施。" * 200, url="https://x.gov.cn/a"))
        kb_runtime.db.bump_kb_version(session)
    kb_runtime.kb.maybe_reload(wait=True)
    turn = build(kb_runtime, store).respond(text("扬尘治理有什么要求"))
    assert len(content(turn).encode("utf-8")) <= TEXT_LIMIT_BYTES and "详情：https://x.gov.cn/a" in content(turn)


# -- lists and choices ---------------------------------------------------------------------------


@pytest.mark.parametrize("reply", ["2", "２", "第2个", "二", "第二条", " 2。"])
def test_second_choice_in_any_spelling(conv: Conversation, reply: str) -> None:
    second = titles(conv.respond(text("低保")))[1]
    assert content(conv.respond(text(reply))).startswith(f"【{second}】")


def test_number_on_the_second_page_picks_from_the_whole_list(conv: Conversation) -> None:
    conv.respond(text("低保"))
    page = conv.respond(text("下一页"))
    sixth = titles(page)[0]
    assert content(conv.respond(text("6"))).startswith(f"【{sixth}】")


def test_more_after_the_last_page_says_so(conv: Conversation) -> None:
    conv.respond(text("低保"))
    conv.respond(text("更多"))
    assert conv.respond(text("更多")).kind == "choices_end"


def test_out_of_range_number_asks_for_a_valid_one(conv: Conversation) -> None:
    conv.respond(text("低保"))
    assert content(conv.respond(text("99"))).startswith("请回复 1—")


def test_choice_turn_is_not_logged_as_a_question(conv: Conversation) -> None:
    conv.respond(text("低保"))
    assert conv.respond(text("1")).question is None


def test_number_without_a_list_says_it_expired(conv: Conversation) -> None:
    assert content(conv.respond(text("2"))) == wording.CHOICES_EXPIRED


def test_asking_for_more_after_an_answer_or_a_not_found_says_that_was_all_not_that_a_list_expired(
        conv: Conversation) -> None:
    assert conv.respond(text("高龄津贴怎么申领")).kind == "answer_faq"
    turn = conv.respond(text("还有别的吗"))
    assert content(turn) == wording.MORE_AFTER_ANSWER and turn.kind == "choices_end"
    assert conv.respond(text("火星移民政策")).kind == "not_found"
    assert content(conv.respond(text("还有吗"))) == wording.MORE_AFTER_ANSWER


def test_saying_the_answer_missed_rates_it_unsatisfied(conv: Conversation) -> None:
    asked = conv.respond(text("高龄津贴怎么申领"))
    turn = conv.respond(text("不是这个"))
    assert turn.feedback is not None and turn.feedback[1].value == "unsatisfied" and asked.answered


def test_list_expires_with_the_session(kb_runtime: Runtime) -> None:
    clock = FakeClock()
    conv = build(kb_runtime, ResilientStore(MemoryStore(clock=clock)))
    conv.respond(text("低保"))
    clock.now += kb_runtime.settings.session_ttl + 1
    assert content(conv.respond(text("2"))) == wording.CHOICES_EXPIRED


def test_session_lives_while_the_citizen_keeps_talking(kb_runtime: Runtime) -> None:
    clock = FakeClock()
    conv = build(kb_runtime, ResilientStore(MemoryStore(clock=clock)))
    conv.respond(text("低保"))
    for _ in range(3):
        clock.now += kb_runtime.settings.session_ttl - 10
        assert conv.respond(text("1")).kind == "answer_faq"


def test_two_citizens_never_share_a_list(conv: Conversation) -> None:
    conv.respond(text("低保", user="openid-a"))
    assert content(conv.respond(text("2", user="openid-b"))) == wording.CHOICES_EXPIRED
    conv.respond(text("高龄津贴怎么申领", user="openid-b"))
    assert conv.respond(text("2", user="openid-a")).kind == "answer_faq"


def test_unreadable_session_counts_as_none(conv: Conversation) -> None:
    conv.sessions.state.set(f"session:{pseudonymise('openid-a', conv.settings.user_hash_secret)}", "{oops", 60)
    assert content(conv.respond(text("2"))) == wording.CHOICES_EXPIRED


def test_sessions_are_keyed_by_pseudonym_not_openid(kb_runtime: Runtime) -> None:
    memory = MemoryStore()
    conv = build(kb_runtime, ResilientStore(memory))
    conv.respond(text("低保", user="oPENID-visible"))
    assert memory._data and not any("oPENID-visible" in key for key in memory._data)


# -- Redis down ----------------------------------------------------------------------------------


@pytest.fixture
def down_conv(kb_runtime: Runtime) -> Conversation:
    return build(kb_runtime, ResilientStore(RedisStore("redis://127.0.0.1:1/0", timeout=0.05)))


def test_redis_down_still_answers(down_conv: Conversation) -> None:
    assert "年满80周岁" in content(down_conv.respond(text("高龄津贴怎么申领")))


def test_redis_down_number_says_list_expired(down_conv: Conversation) -> None:
    assert down_conv.respond(text("低保")).kind == "choices"
    assert content(down_conv.respond(text("2"))) == wording.CHOICES_EXPIRED


# -- follow-ups ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("follow_up", "expected"),
    [("需要什么材料", "户口簿"), ("在哪里办", "民政窗口"), ("多少钱", "560元"), ("要多久", "30个工作日")],
)
def test_short_follow_up_is_read_with_the_previous_topic(conv: Conversation, follow_up: str, expected: str) -> None:
    conv.respond(text("低保"))
    assert expected in content(conv.respond(text(follow_up)))


def test_follow_up_after_a_chosen_answer_keeps_the_topic(conv: Conversation) -> None:
    conv.respond(text("低保"))
    conv.respond(text("1"))
    assert "户口簿" in content(conv.respond(text("需要什么材料？")))


def test_question_with_its_own_topic_starts_afresh(conv: Conversation) -> None:
    conv.respond(text("低保"))
    turn = conv.respond(text("新生儿落户需要什么材料"))
    assert "出生医学证明" in content(turn)


def test_follow_up_without_a_topic_is_searched_as_it_is(conv: Conversation) -> None:
    turn = conv.respond(text("需要什么材料"))
    assert turn.question == "需要什么材料" and turn.result is not None and turn.result.query == "需要什么材料"


# -- not found -----------------------------------------------------------------------------------


def test_not_found_is_honest_and_explains_how_to_ask(conv: Conversation) -> None:
    body = content(conv.respond(text("宠物狗疫苗接种")))
    assert body.startswith(wording.NOT_FOUND)
    for detail in ("依申请公开", "门户网站“依申请公开”栏目", "0951-8000000", "便民服务中心", "9:00—17:30"):
        assert detail in body


def test_not_found_offers_hot_topics(conv: Conversation) -> None:
    body = content(conv.respond(text("宠物狗疫苗接种")))
    assert "大家还在问" in body and "· 高龄津贴怎么申领" in body


def test_not_found_survives_a_failing_hot_topic_source(kb_runtime: Runtime, store: StateStore) -> None:
    conv = build(kb_runtime, store)
    def failing() -> list[str]:
        raise ConnectionError("database gone")

    conv.hot_topics = failing
    assert conv.respond(text("宠物狗疫苗接种")).kind == "not_found"


# -- feedback ------------------------------------------------------------------------------------


def test_unsatisfied_feedback_points_to_staff(conv: Conversation) -> None:
    conv.respond(asked := text("高龄津贴怎么申领"))
    turn = conv.respond(text("不满意"))
    assert turn.feedback == (pseudonym(conv, asked), "unsatisfied") and "人工" in content(turn)


def test_feedback_on_a_chosen_answer_names_the_listed_question(conv: Conversation) -> None:
    conv.respond(asked := text("低保"))
    conv.respond(text("3"))
    assert conv.respond(text("满意")).feedback == (pseudonym(conv, asked), "satisfied")


def test_feedback_counts_once_per_answer(conv: Conversation) -> None:
    conv.respond(text("高龄津贴怎么申领"))
    conv.respond(text("满意"))
    assert conv.respond(text("满意")).feedback is None


def test_feedback_without_an_answer_records_nothing(conv: Conversation) -> None:
    turn = conv.respond(text("满意"))
    assert turn.feedback is None and content(turn) == wording.FEEDBACK_NOTHING


# -- commands and message kinds ------------------------------------------------------------------


@pytest.mark.parametrize("command", ["帮助", "菜单", "?", "？", "帮助！"])
def test_help_lists_what_the_bot_does_and_hot_topics(conv: Conversation, command: str) -> None:
    turn = conv.respond(text(command))
    assert turn.kind == "help" and "回复序号" in content(turn) and "· 高龄津贴怎么申领" in content(turn)


@pytest.mark.parametrize("command", ["人工", "转人工"])
def test_staff_command_gives_contact_details(conv: Conversation, command: str) -> None:
    assert "民生服务中心 王老师" in content(conv.respond(text(command)))


@pytest.mark.parametrize("key", [None, "qrscene_123123"])
def test_subscribe_gets_the_help_text_as_welcome(conv: Conversation, key: str | None) -> None:
    turn = conv.respond(event("subscribe", key))
    assert turn.kind == "welcome" and content(turn) == content(conv.respond(text("帮助")))


def test_menu_click_answers_its_topic(conv: Conversation) -> None:
    turn = conv.respond(event("CLICK", "MENU_POVERTY"))
    assert turn.kind == "answer_item" and turn.question == "扶贫资金"


@pytest.mark.parametrize(("said", "kind", "reply"), [("再见", "bye", wording.BYE_REPLY),
                                                     ("嗯嗯", "thanks", wording.THANKS_REPLY)])
def test_a_goodbye_or_a_nod_gets_a_short_courtesy_not_a_not_found(conv: Conversation, said: str, kind: str,
                                                                   reply: str) -> None:
    turn = conv.respond(text(said))
    assert turn.kind == kind and content(turn) == reply and turn.question is None  # never logged unanswered


def test_unknown_menu_click_gets_help(conv: Conversation) -> None:
    assert conv.respond(event("CLICK", "NOT_CONFIGURED")).kind == "help"


QUIET_EVENTS = ["unsubscribe", "VIEW", "TEMPLATESENDJOBFINISH", "LOCATION", "SCAN", "kf_create_session"]


@pytest.mark.parametrize("name", QUIET_EVENTS)
def test_other_events_get_no_reply(conv: Conversation, name: str) -> None:
    assert conv.respond(event(name, "x")).reply is None


def test_recognised_voice_is_answered_as_text(conv: Conversation) -> None:
    turn = conv.respond(message("voice", recognition="高龄津贴怎么申领。"))
    assert "年满80周岁" in content(turn)


def test_unrecognised_voice_asks_for_text(conv: Conversation) -> None:
    assert content(conv.respond(message("voice", recognition=""))) == wording.VOICE_UNRECOGNISED


@pytest.mark.parametrize("msg_type", ["image", "video", "shortvideo", "location", "link", "file", ""])
def test_other_message_kinds_say_what_the_bot_can_do(conv: Conversation, msg_type: str) -> None:
    assert content(conv.respond(message(msg_type))) == wording.UNSUPPORTED


@pytest.mark.parametrize("question", ["", "   ", "\n", "😀😀", "。。。", "!!!", "……", "的"])
def test_empty_or_symbol_only_questions_get_a_prompt(conv: Conversation, question: str) -> None:
    turn = conv.respond(text(question))
    assert content(turn) == wording.EMPTY_QUESTION and turn.result is None


def test_missing_content_gets_a_prompt(conv: Conversation) -> None:
    assert conv.respond(message("text")).kind == "empty"


# -- rate limit ----------------------------------------------------------------------------------


def test_rate_limit_answers_politely_past_the_limit(kb_runtime: Runtime, store: StateStore) -> None:
    conv = build(kb_runtime, store, rate_limit_per_minute=3)
    kinds = [conv.respond(text("高龄津贴怎么申领")).kind for _ in range(4)]
    assert kinds == ["answer_faq"] * 3 + ["rate_limited"]


@pytest.mark.parametrize("command", ["帮助", "人工", "谢谢"])
def test_rate_limit_counts_commands_too(kb_runtime: Runtime, store: StateStore, command: str) -> None:
    conv = build(kb_runtime, store, rate_limit_per_minute=2)
    kinds = [conv.respond(text(command)).kind for _ in range(3)]
    assert kinds[2] == "rate_limited" and "rate_limited" not in kinds[:2]


def test_global_rate_limit_gives_every_citizen_the_busy_reply(kb_runtime: Runtime, store: StateStore) -> None:
    conv = build(kb_runtime, store, rate_limit_global_per_minute=3)
    turns = [conv.respond(text("帮助", user=f"openid-{n}")) for n in range(4)]
    assert [t.kind for t in turns] == ["help"] * 3 + ["rate_limited"]
    assert content(turns[3]) == wording.BUSY


def test_a_limited_silent_event_stays_silent(kb_runtime: Runtime, store: StateStore) -> None:
    conv = build(kb_runtime, store, rate_limit_per_minute=1)
    conv.respond(text("帮助"))
    unsubscribe = Message(to_user="gh_1", from_user="openid-a", create_time=1, msg_type="event", event="unsubscribe")
    assert conv.respond(unsubscribe).reply is None


def test_a_pasted_wall_of_text_is_cut_and_the_session_stays_small(kb_runtime: Runtime, store: StateStore) -> None:
    conv = build(kb_runtime, store)
    turn = conv.respond(text("低保" + "怎么申请" * 15_000))
    assert len(turn.question or "") <= 1000
    stored = store.get("session:" + conv._user("openid-a")) or ""
    assert len(stored) < 2000


def test_rate_limit_is_per_citizen(kb_runtime: Runtime, store: StateStore) -> None:
    conv = build(kb_runtime, store, rate_limit_per_minute=1)
    conv.respond(text("高龄津贴怎么申领", user="openid-a"))
    assert conv.respond(text("高龄津贴怎么申领", user="openid-b")).kind == "answer_faq"


def test_rate_limit_zero_disables_it(kb_runtime: Runtime, store: StateStore) -> None:
    conv = build(kb_runtime, store, rate_limit_per_minute=0)
    assert all(conv.respond(text("秸秆禁烧")).kind == "answer_item" for _ in range(30))


def test_rate_limit_window_reopens_after_a_minute(kb_runtime: Runtime) -> None:
    clock = FakeClock()
    conv = build(kb_runtime, ResilientStore(MemoryStore(clock=clock)), rate_limit_per_minute=1)
    conv.respond(text("秸秆禁烧"))
    clock.now += 61
    assert conv.respond(text("秸秆禁烧")).kind == "answer_item"


# -- parsing helpers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        *[("2", 2), ("12", 12), ("十", 10), ("十二", 12), ("二十", 20), ("第3条", 3), ("两", 2)],
        *[("123", None), ("二五", None), ("2号楼", None)],
    ],
)
def test_choice_numbers(raw: str, number: int | None) -> None:
    assert parse_choice(command_form(raw)) == number


def test_question_marks_alone_are_the_help_command() -> None:
    assert command_form("？？") == "?"


def test_every_reply_kind_fits(conv: Conversation) -> None:
    turns = [conv.respond(m) for m in (
        text("低保"), text("更多"), text("2"), text("宠物狗疫苗接种"), text("帮助"), text("人工"),
        text("扶贫资金投入了多少"), message("image"), event("subscribe"), text("满意"),
    )]
    for turn in turns:
        reply = turn.reply
        assert reply is not None
        fields = (reply.content,) if isinstance(reply, TextReply) else (reply.title, reply.description, reply.url)
        assert len("".join(fields).encode("utf-8")) <= TEXT_LIMIT_BYTES


# -- a direct answer over close rivals -----------------------------------------------------------


def test_a_direct_answer_over_close_rivals_lists_them_and_a_number_opens_one(
    kb_runtime: Runtime, store: StateStore
) -> None:
    """The direct-answer rule picks one entry among close rivals; when it picks wrongly, the right
    one must still be one tap away: the rivals are numbered under the answer, above the rating hint."""
    kb_runtime.kb.policy = AnswerPolicy(dataclasses.replace(DEFAULT_THRESHOLDS, direct_threshold=0.0,
                                                            direct_min_title=0.0))
    conv = build(kb_runtime, store)
    turn = conv.respond(text("低保申请"))
    assert turn.decision is not None and turn.decision.reason is Reason.CONFIDENT_DIRECT
    body = content(turn)
    rivals = [h.doc.title for h in turn.decision.rivals]
    assert 1 <= len(rivals) <= DEFAULT_THRESHOLDS.max_rivals
    assert body.index(turn.decision.hits[0].doc.title) < body.index(wording.RIVALS)
    assert titles(turn) == rivals and body.endswith(wording.FEEDBACK_HINT)
    opened = conv.respond(text("1"))
    assert wording.FAQ_HEADING.format(title=rivals[0]) in content(opened)


def test_unsatisfied_with_a_direct_answer_points_to_its_rivals_which_stay_open(
    kb_runtime: Runtime, store: StateStore
) -> None:
    kb_runtime.kb.policy = AnswerPolicy(dataclasses.replace(DEFAULT_THRESHOLDS, direct_threshold=0.0,
                                                            direct_min_title=0.0))
    conv = build(kb_runtime, store)
    rivals = conv.respond(text("低保申请")).decision.rivals  # type: ignore[union-attr]
    assert wording.FEEDBACK_UNSATISFIED_LISTED in content(conv.respond(text("不满意")))
    assert wording.FAQ_HEADING.format(title=rivals[0].doc.title) in content(conv.respond(text("1")))
    single = conv.respond(text("高龄津贴怎么申领", user="openid-b"))
    assert single.decision is not None and not single.decision.rivals
    assert wording.FEEDBACK_UNSATISFIED_LISTED not in content(conv.respond(text("不满意", user="openid-b")))


def test_without_rivals_a_number_after_a_direct_answer_opens_nothing(kb_runtime: Runtime, store: StateStore) -> None:
    kb_runtime.kb.policy = AnswerPolicy(dataclasses.replace(DEFAULT_THRESHOLDS, direct_threshold=0.0,
                                                            direct_min_title=0.0, max_rivals=0))
    conv = build(kb_runtime, store)
    turn = conv.respond(text("低保申请"))
    assert turn.decision is not None and turn.decision.reason is Reason.CONFIDENT_DIRECT
    assert wording.RIVALS not in content(turn)
    assert conv.respond(text("1")).kind != "answer_faq"


def test_the_hit_test_tells_staff_an_entry_is_reached_only_as_a_rival(kb_runtime: Runtime) -> None:
    kb_runtime.kb.policy = AnswerPolicy(dataclasses.replace(DEFAULT_THRESHOLDS, direct_threshold=0.0,
                                                            direct_min_title=0.0))
    found = probe(kb_runtime, "低保申请")
    assert found.decision.rivals and wording.RIVALS in found.reply
    assert found.reaches(found.decision.hits[0].doc.key) == "answer"
    assert found.reaches(found.decision.rivals[0].doc.key) == "rival"
