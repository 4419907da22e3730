"""One inbound message → one Turn: what the citizen meant, what to search, what to say back.

The conversation reads the message kind, then for text (and recognised voice) tries, in order:
commands (帮助, 人工, 满意 …), a numbered choice or 更多 from the session's list, and finally a
question. Questions are searched in the knowledge base and answered in one of three ways:

* **one answer** — one hit clearly stands out;
* **a numbered list** — several hits score close to the top one, so the citizen picks;
* **not found** — no published item matches: we say so, and how to ask through 依申请公开;
  a low-confidence guess is never dressed up as an answer. When a few entries contain most
  of the question's words they are listed under a heading that calls them only related
  (`_maybe_related`), so a citizen whose wording the search could not settle can still pick.

"Several good" hits are those scoring at least `GOOD_RATIO` (70 %) of the top hit; which of
them are shown, and when the search's own refusal still allows a list, is decided in
`Conversation._offer`.

Short follow-ups ("需要什么材料", "在哪里办") are read together with the previous topic; see
`is_follow_up`. Session state is best-effort (`bot.session`): without it the bot still answers.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import unicodedata
from collections.abc import Callable

from bot import compose, wording
from bot.compose import PAGE_SIZE
from bot.config import Settings
from bot.privacy import pseudonymise
from bot.session import Choices, Session, Sessions
from bot.state import StateStore
from bot.turn import Turn
from bot.wechat.messages import Message
from bot.wechat.replies import NewsReply, TextReply
from knowledge.base import KnowledgeBase
from knowledge.document import Document, Hit, SearchResult
from knowledge.summary import summarize

log = logging.getLogger(__name__)

SEARCH_LIMIT = 15  # three pages of choices
# A hit is "good" when it scores at least this share of the top hit's score. BM25 scores have
# no fixed scale, but their ratio does: 0.7 keeps close rivals (two FAQ entries on the same
# subject) and drops hits that only share a common word with the question.
GOOD_RATIO = 0.7
MAYBE_RELATED = 3  # suggestions under an honest "not found"

# Words that ask *about* a topic without naming one: a question made only of these (after
# the knowledge base's analysis) is a follow-up to the previous topic. Kept explicit rather
# than derived from idf, so staff can read and extend it and the rule does not drift as the
# knowledge base grows.
FOLLOW_UP_WORDS = frozenset(
    " ".join(
        (
            "需要 要 需 什么 哪些 啥 材料 资料 证件 手续 证明 准备 带 携带 提供 提交 复印件 原件",  # what to bring
            "哪里 在哪 哪儿 哪 地方 地点 地址 位置 办 办理 去 找 部门 窗口 电话 联系 联系方式",  # where
            "多少 钱 费用 收费 收 交 缴 缴费 多少钱 金额",  # how much
            "多久 多长 时间 几天 天 期限 时限 什么时候 时候 截止",  # how long
            "怎么 怎么办 怎样 咋 如何 流程 程序 步骤 条件 要求 标准 办法 方法 申请",  # how
            "能 能不能 可以 可不可以 是否 吗 呢 还 那 那么 这个 那个 呀 啊 吧",  # particles
            "网上 线上 线下 现场 手机 本人 代办 委托",  # which way
        )
    ).split()
)

_HELP = {"帮助", "菜单", "?", "help", "你好", "您好", "hi", "hello", "在吗", "使用说明"}
_STAFF = {"人工", "转人工", "人工服务", "人工客服", "客服"}
_THANKS = {"谢谢", "谢谢你", "谢谢您", "多谢", "感谢", "好的", "收到", "ok", "知道了", "明白了"}
_SATISFIED = {"满意", "很满意", "非常满意", "满意了"}
_UNSATISFIED = {"不满意", "很不满意", "非常不满意", "不太满意", "不大满意"}
_MORE = {"更多", "下一页", "下页", "更多结果", "还有吗", "还有呢", "还有", "继续", "more", "next"}
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CHOICE = re.compile(r"^(?:第|选|看)?([0-9]{1,2}|[一二两三四五六七八九十]{1,3})(?:个|条|项|号)?$")
_EDGE_NOISE = re.compile(r"^[\W_]+|[\W_]+$")
_SPACE = re.compile(r"\s+")
_WORDLIKE = re.compile(r"[^\W_]")


def command_form(text: str) -> str:
    """Fold a message for command matching: full-width → ASCII, lower case, no spaces or edge punctuation."""
    folded = _SPACE.sub("", unicodedata.normalize("NFKC", text)).lower()
    stripped = _EDGE_NOISE.sub("", folded)
    return stripped or ("?" if folded and set(folded) <= {"?"} else "")


def parse_choice(command: str) -> int | None:
    """The number in "2", "２", "第2个", "二", "第十二条"; None when the message is not a choice."""
    match = _CHOICE.match(command)
    if not match:
        return None
    value = match.group(1)
    if value.isdigit():
        return int(value)
    if value == "十":
        return 10
    if len(value) == 1:
        return _CN_DIGITS.get(value)
    tens, _, ones = value.partition("十")
    if "十" not in value or len(value) > 3 or ("十" in ones) or (tens and tens not in _CN_DIGITS):
        return None
    if ones and ones not in _CN_DIGITS:
        return None
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


def good_hits(hits: tuple[Hit, ...]) -> list[Hit]:
    """The hits worth offering: those scoring at least GOOD_RATIO of the top hit, best first."""
    if not hits:
        return []
    if hits[0].score <= 0:  # no scale to compare against: only the top hit is offered
        return [hits[0]]
    floor = hits[0].score * GOOD_RATIO
    return [h for h in hits if h.score >= floor]


class Conversation:
    """Decides each reply. One per app; it holds no per-citizen state of its own."""

    def __init__(
        self,
        kb: KnowledgeBase,
        state: StateStore,
        settings: Settings,
        hot_topics: Callable[[], list[str]] = lambda: [],
    ) -> None:
        self.kb = kb
        self.settings = settings
        self.township = settings.township
        self.hot_topics = hot_topics
        self.sessions = Sessions(state, settings.session_ttl)

    # -- entry point ---------------------------------------------------------------------------

    def respond(self, message: Message) -> Turn:
        """The reply to one message, and what the question log should record about it."""
        if message.is_event:
            return self._event(message)
        if message.msg_type == "text":
            return self._text(message, message.content or "")
        if message.msg_type == "voice":
            recognised = (message.recognition or "").strip()
            if not recognised:
                return Turn(compose.text_reply(wording.VOICE_UNRECOGNISED), kind="voice_unrecognised")
            return self._text(message, recognised)
        return Turn(compose.text_reply(wording.UNSUPPORTED), kind="unsupported")

    def forget(self, openid: str) -> None:
        """Drop a citizen's session (the CLI answers batch questions independently)."""
        self.sessions.clear(self._user(openid))

    def _user(self, openid: str) -> str:
        return pseudonymise(openid, self.settings.user_hash_secret)

    def _event(self, message: Message) -> Turn:
        event = message.event_lower
        if event == "subscribe":
            return Turn(compose.help_reply(self.township, self._hot()), kind="welcome")
        if event == "click":
            topic = self.settings.menu_topics.get(message.event_key or "")
            if not topic:
                # A menu button the settings do not know: tell the citizen what does work.
                return Turn(compose.help_reply(self.township, self._hot()), kind="help")
            return self._with_session(message, lambda s: self._ask(message, s, topic, menu=True))
        # unsubscribe, VIEW, TEMPLATESENDJOBFINISH, LOCATION …: nothing to say ("success").
        return Turn(None, kind="ignored")

    def _text(self, message: Message, text: str) -> Turn:
        command = command_form(text)
        if not command:
            return Turn(compose.text_reply(wording.EMPTY_QUESTION), kind="empty")
        if command in _HELP:
            return Turn(compose.help_reply(self.township, self._hot()), kind="help")
        if command in _STAFF:
            return Turn(compose.staff_reply(self.township), kind="staff")
        if command in _THANKS:
            return Turn(compose.text_reply(wording.THANKS_REPLY), kind="thanks")
        return self._with_session(message, lambda s: self._stateful(message, s, text, command))

    def _with_session(self, message: Message, handle: Callable[[Session], Turn]) -> Turn:
        """Rate-limit, load the citizen's session, run `handle`, save what it changed."""
        user = self._user(message.from_user)
        if not self.sessions.allow(user, self.settings.rate_limit_per_minute):
            return Turn(compose.text_reply(wording.RATE_LIMITED), kind="rate_limited")
        session = self.sessions.load(user)
        turn = handle(session)
        self.sessions.save(user, session)
        return turn

    def _stateful(self, message: Message, session: Session, text: str, command: str) -> Turn:
        if command in _SATISFIED:
            return self._feedback(session, "satisfied")
        if command in _UNSATISFIED:
            return self._feedback(session, "unsatisfied")
        if command in _MORE:
            return self._more(session)
        number = parse_choice(command)
        if number is not None:
            return self._choose(session, number)
        return self._ask(message, session, text.strip())

    # -- questions -----------------------------------------------------------------------------

    def is_follow_up(self, terms: list[str], session: Session) -> bool:
        """A question is a follow-up when there is a topic and it names nothing beyond FOLLOW_UP_WORDS."""
        return bool(session.topic) and all(t in FOLLOW_UP_WORDS for t in terms)

    def _ask(self, message: Message, session: Session, question: str, *, menu: bool = False) -> Turn:
        terms = self.kb.analyze(question)
        follow_up = not menu and self.is_follow_up(terms, session)
        if not terms and not follow_up:
            return Turn(compose.text_reply(wording.EMPTY_QUESTION), kind="empty")
        query = f"{session.topic} {question}" if follow_up else question
        result = self.kb.search(query, limit=SEARCH_LIMIT)
        if follow_up:
            result = self._within_topic(result, session.topic or "")
        offered = self._offer(result, terms, follow_up)
        session.choices = None
        session.topic = session.topic if follow_up else (question if offered else None)
        if not offered:
            session.answered = None
            maybe = [] if follow_up else self._maybe_related(result, terms)
            if maybe:
                session.choices = Choices(query=query, keys=[h.doc.key for h in maybe], message_key=message.dedupe_key)
            numbered = [(n, hit.doc) for n, hit in enumerate(maybe, start=1)]
            reply = compose.not_found_reply(self.township, [] if maybe else self._related(terms), numbered)
            return Turn(reply, kind="not_found", question=question, result=result, answered=False)
        if len(offered) == 1 or self._asked_verbatim(terms, offered[0].doc):
            self._remember_answer(session, message.dedupe_key)
            reply, kind = self._answer(offered[0].doc, result.terms)
            return Turn(reply, kind=kind, question=question, result=result, answered=True)
        session.choices = Choices(query=query, keys=[h.doc.key for h in offered], message_key=message.dedupe_key)
        session.answered = None
        reply = compose.choices_reply(self._numbered(session.choices, 0), page=0, total=len(offered))
        return Turn(reply, kind="choices", question=question, result=result, answered=True)

    @staticmethod
    def _offer(result: SearchResult, terms: list[str], follow_up: bool) -> list[Hit]:
        """The hits to show: none (not found), one (the answer) or several (a numbered list).

        * The search answered: its good hits (`good_hits`).
        * It did not, on a fresh question: the search also refuses when close neighbours
          leave no margin — exactly when a list is the right reply. So a list is offered
          when at least two good hits each contain every content word of the question
          (the words beyond FOLLOW_UP_WORDS); anything less is "not found", never a guess.
        * It did not, on a follow-up: the query is the topic plus the follow-up, so every
          hit on the topic is a close neighbour and the margin is small by construction.
          The hits are already limited to the topic (`_within_topic`); the good ones are
          offered when the best contains a word of the follow-up itself (材料, 多少钱 …),
          else no published text answers the follow-up.
        """
        good = good_hits(result.hits)
        if not good or result.answered:
            return good
        if follow_up:
            return good if not terms or set(terms).intersection(good[0].matched) else []
        content = {t for t in terms if t not in FOLLOW_UP_WORDS}
        covering = [h for h in good if content and content <= set(h.matched)]
        return covering if len(covering) >= 2 else []

    @staticmethod
    def _maybe_related(result: SearchResult, terms: list[str]) -> list[Hit]:
        """Up to MAYBE_RELATED hits worth showing under "not found": each must contain at least
        half of the question's content words, so a question about something unpublished is not
        answered with entries that merely share 申请 or 怎么办."""
        content = {t for t in terms if t not in FOLLOW_UP_WORDS}
        if not content:
            return []
        need = (len(content) + 1) // 2
        return [h for h in good_hits(result.hits) if len(content.intersection(h.matched)) >= need][:MAYBE_RELATED]

    def _within_topic(self, result: SearchResult, topic: str) -> SearchResult:
        """A follow-up is about the topic: drop hits that match only the follow-up words.

        Otherwise "在哪里办" after 低保 could answer with 结婚登记在哪里办. If no hit
        mentions the topic, the follow-up has no published answer, and we say so.
        """
        topic_terms = {t for t in self.kb.analyze(topic) if t not in FOLLOW_UP_WORDS}
        if not topic_terms:
            return result
        hits = tuple(h for h in result.hits if topic_terms.intersection(h.matched))
        return dataclasses.replace(result, hits=hits, answered=result.answered and hits[:1] == result.hits[:1])

    def _asked_verbatim(self, terms: list[str], doc: Document) -> bool:
        """The citizen typed an FAQ question (or one of its 相似问法) as staff wrote it: answer it."""
        if doc.kind != "faq":
            return False
        wanted = sorted(terms)
        return any(sorted(self.kb.analyze(q)) == wanted for q in (doc.title, *doc.similar))

    def _answer(self, doc: Document, terms: tuple[str, ...] | list[str]) -> tuple[TextReply | NewsReply, str]:
        if doc.kind == "faq":
            return compose.faq_answer(doc), "answer_faq"
        summary = summarize(doc.body, terms, self.kb.analyze, max_chars=compose.item_summary_chars(doc))
        return compose.item_answer(doc, summary), "answer_item"

    @staticmethod
    def _remember_answer(session: Session, message_key: str | None) -> None:
        session.answered = message_key
        session.rated = False

    # -- lists ---------------------------------------------------------------------------------

    def _numbered(self, choices: Choices, page: int) -> list[tuple[int, Document]]:
        start = page * PAGE_SIZE
        rows = []
        for offset, key in enumerate(choices.keys[start : start + PAGE_SIZE]):
            doc = self.kb.document(key)
            if doc is not None:  # removed since the list was shown: its number is skipped
                rows.append((start + offset + 1, doc))
        return rows

    def _choose(self, session: Session, number: int) -> Turn:
        choices = session.choices
        if choices is None:
            return Turn(compose.text_reply(wording.CHOICES_EXPIRED), kind="choice_expired")
        if not 1 <= number <= len(choices.keys):
            reply = compose.text_reply(wording.CHOICE_OUT_OF_RANGE.format(total=len(choices.keys)))
            return Turn(reply, kind="choice_invalid")
        doc = self.kb.document(choices.keys[number - 1])
        if doc is None:
            return Turn(compose.text_reply(wording.CHOICE_GONE), kind="choice_gone")
        self._remember_answer(session, choices.message_key)
        reply, kind = self._answer(doc, self.kb.analyze(choices.query))
        return Turn(reply, kind=kind)

    def _more(self, session: Session) -> Turn:
        choices = session.choices
        if choices is None:
            return Turn(compose.text_reply(wording.CHOICES_EXPIRED), kind="choice_expired")
        page = choices.page + 1
        if page * PAGE_SIZE >= len(choices.keys):
            return Turn(compose.text_reply(wording.CHOICES_NO_MORE), kind="choices_end")
        choices.page = page
        reply = compose.choices_reply(self._numbered(choices, page), page=page, total=len(choices.keys))
        return Turn(reply, kind="choices")

    # -- feedback and topics -------------------------------------------------------------------

    def _feedback(self, session: Session, value: str) -> Turn:
        if session.answered is None:
            return Turn(compose.text_reply(wording.FEEDBACK_NOTHING), kind="feedback_none")
        if session.rated:
            return Turn(compose.text_reply(wording.FEEDBACK_ALREADY), kind="feedback_repeat")
        session.rated = True
        if value == "satisfied":
            text = wording.FEEDBACK_SATISFIED
        else:
            text = f"{wording.FEEDBACK_UNSATISFIED}\n{wording.FEEDBACK_UNSATISFIED_HELP}"
        return Turn(compose.text_reply(text), kind="feedback", feedback=(session.answered, value))

    def _hot(self) -> list[str]:
        """Current hot topics; a failing source (say, the database) just means none are shown."""
        try:
            return [t for t in self.hot_topics() if t and t.strip()]
        except Exception:  # hot topics are decoration, never a reason to fail a reply
            log.exception("hot topics unavailable")
            return []

    def _related(self, terms: list[str]) -> list[str]:
        """Hot topics sharing a term with the question first, then the others; never the question itself."""
        wanted = set(terms)
        scored = []
        for position, topic in enumerate(self._hot()):
            topic_terms = self.kb.analyze(topic)
            if sorted(topic_terms) != sorted(terms):
                scored.append((-len(wanted.intersection(topic_terms)), position, topic))
        return [topic for *_, topic in sorted(scored)][: compose.RELATED_TOPICS]
