"""One inbound message → one Turn: what the citizen meant, what to search, what to say back.

The conversation reads the message kind, then for text (and recognised voice) tries, in order:
commands (帮助, 人工, 满意 …: `bot.commands`), a numbered choice or 更多 from the session's
list, and finally a question. What a question gets — one answer, a numbered list, "not found" with entries listed
only as related, or a bare "not found" that says how to ask through 依申请公开 — is decided by
the knowledge base's answer policy (`knowledge.policy`); the conversation keeps the session
(the list, the topic, the answer to rate) and composes the reply.

Short follow-ups ("需要什么材料", "在哪里办") are read together with the previous topic (the
policy's `is_follow_up`). Session state is best-effort (`bot.session`): without it the bot still answers.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from typing import Protocol

from bot import commands, compose, item_followups, item_reply, listpages, picks, ratings, wording
from bot.commands import Said
from bot.config import Settings
from bot.followup import ask_kind, condition_quote, condition_words, follow_up_text, not_stated, quote_for
from bot.fulltext import page_url
from bot.privacy import pseudonymise
from bot.routing import Router
from bot.session import Choices, Session, Sessions
from bot.state import StateStore
from bot.turn import Feedback, ReplyKind, Turn
from bot.wechat.messages import Message
from bot.wechat.replies import NewsReply, TextReply
from knowledge.asks import FOLLOW_UP_WORDS, AskReducer
from knowledge.decision import Decision, DecisionKind
from knowledge.document import Document
from knowledge.offices import OfficeEntry
from knowledge.policy import AnswerPolicy, Searchable
from knowledge.spelling import Correction
from knowledge.spelling import apply as apply_corrections

log = logging.getLogger(__name__)

# What of a message is read as the question: the question log keeps as much, and no real
# question is longer; a 60 KB paste costs neither a long search nor a big session.
MAX_QUESTION_CHARS = 1000



class KnowledgeSource(Searchable, Protocol):
    """What the conversation needs of the knowledge base (`knowledge.base.KnowledgeBase` in the
    app; tests give it small fakes): analysis and search for the policy, the policy itself,
    documents by key for numbered choices, what a term may be written as for quoting items, and
    the verbs that name a domain of its documents (a follow-up names none: `is_follow_up`)."""

    @property
    def policy(self) -> AnswerPolicy: ...

    @property
    def domain_verbs(self) -> frozenset[str]: ...

    def document(self, key: str) -> Document | None: ...

    def spelling(self, text: str) -> list[Correction]: ...

    def written_forms(self, term: str) -> tuple[str, ...]: ...


class Conversation:
    """Decides each reply. One per app; it holds no per-citizen state of its own."""

    def __init__(
        self,
        kb: KnowledgeSource,
        state: StateStore,
        settings: Settings,
        hot_topics: Callable[[], list[str]] = lambda: [],
        offices: Callable[[], list[OfficeEntry]] = lambda: [],
    ) -> None:
        self.kb = kb
        self.settings = settings
        self.township = settings.township
        self.hot_topics = hot_topics
        self.router = Router(settings.township, kb.analyze, offices, FOLLOW_UP_WORDS)
        self.asks = AskReducer(kb.analyze)
        self.sessions = Sessions(state, settings.session_ttl)
        self.clock: Callable[[], float] = time.time  # picks' times (bot.learning's window); tests move it

    def sibling(self, kb: KnowledgeSource, state: StateStore, settings: Settings) -> Conversation:
        """A conversation that replies as this one does — the same hot topics and 办事机构
        directory — over another knowledge base, state store or settings: the staff hit test
        and `flask ask` must show exactly what a citizen is told, routing included."""
        return Conversation(kb, state, settings, hot_topics=self.hot_topics, offices=self.router.offices)

    # -- entry point ---------------------------------------------------------------------------

    def respond(self, message: Message) -> Turn:
        """The reply to one message, and what the question log should record about it.

        Every kind of message counts against the limits (帮助 and 人工 too: each costs a
        reply, and a flood of them is a flood all the same).
        """
        limited = self._limited(message)
        if limited is not None:
            return limited
        if message.is_event:
            return self._event(message)
        if message.msg_type == "text":
            return self._text(message, message.content or "")
        if message.msg_type == "voice":
            recognised = (message.recognition or "").strip()
            if not recognised:
                return Turn(compose.text_reply(wording.VOICE_UNRECOGNISED), kind=ReplyKind.VOICE_UNRECOGNISED)
            return self._text(message, recognised)
        return Turn(compose.text_reply(wording.UNSUPPORTED), kind=ReplyKind.UNSUPPORTED)

    def question_of(self, message: Message) -> str | None:
        """The question this message asks, if it is one (not an event, a command, a choice …).

        Decided from the text alone, without the session: the webhook logs a question whose
        answer missed the deadline before the answer exists, so that a worker dying while it
        computes the answer still leaves the row.
        """
        if message.is_event or message.msg_type not in {"text", "voice"}:
            return None
        text = (message.content if message.msg_type == "text" else message.recognition) or ""
        if not commands.is_question(commands.command_form(text)):
            return None
        return text.strip()[:MAX_QUESTION_CHARS]

    def forget(self, openid: str) -> None:
        """Drop a citizen's session (the CLI answers batch questions independently)."""
        self.sessions.clear(self._user(openid))

    def _user(self, openid: str) -> str:
        return pseudonymise(openid, self.settings.user_hash_secret)

    def _message_key(self, message: Message) -> str:
        """The message's pseudonymous key, as the question log stores it (never the OpenID)."""
        return pseudonymise(message.dedupe_key, self.settings.user_hash_secret)

    def _limited(self, message: Message) -> Turn | None:
        """The reply when this message is over the per-citizen or the global limit, else None."""
        if self.sessions.allow(self._user(message.from_user), self.settings.rate_limit_per_minute):
            over_global = not self.sessions.allow_global(self.settings.rate_limit_global_per_minute)
            if not over_global:
                return None
            reply = compose.text_reply(wording.BUSY)
        else:
            reply = compose.text_reply(wording.RATE_LIMITED)
        if message.is_event and message.event_lower not in {"subscribe", "click"}:
            return Turn(None, kind=ReplyKind.IGNORED)  # nothing would have been said anyway
        return Turn(reply, kind=ReplyKind.RATE_LIMITED)

    def _event(self, message: Message) -> Turn:
        event = message.event_lower
        if event == "subscribe":
            return Turn(compose.help_reply(self.township, self._hot()), kind=ReplyKind.WELCOME)
        if event == "click":
            topic = self.settings.menu_topics.get(message.event_key or "")
            if not topic:
                # A menu button the settings do not know: tell the citizen what does work.
                return Turn(compose.help_reply(self.township, self._hot()), kind=ReplyKind.HELP)
            return self._with_session(message, lambda s: self._ask(message, s, topic, menu=True))
        # unsubscribe, VIEW, TEMPLATESENDJOBFINISH, LOCATION …: nothing to say ("success").
        return Turn(None, kind=ReplyKind.IGNORED)

    def _text(self, message: Message, text: str) -> Turn:
        command = commands.command_form(text)
        said = commands.said(command)
        if not command:
            return Turn(compose.text_reply(wording.EMPTY_QUESTION), kind=ReplyKind.EMPTY)
        if said is Said.HELP:
            return Turn(compose.help_reply(self.township, self._hot()), kind=ReplyKind.HELP)
        if said is Said.STAFF:
            return Turn(compose.staff_reply(self.township), kind=ReplyKind.STAFF)
        if said is Said.THANKS:
            return Turn(compose.text_reply(wording.THANKS_REPLY), kind=ReplyKind.THANKS)
        if said is Said.BYE:
            return Turn(compose.text_reply(wording.BYE_REPLY), kind=ReplyKind.BYE)
        return self._with_session(message, lambda s: self._stateful(message, s, text, command))

    def _with_session(self, message: Message, handle: Callable[[Session], Turn]) -> Turn:
        """Load the citizen's session, run `handle`, save what it changed."""
        user = self._user(message.from_user)
        session = self.sessions.load(user)
        turn = handle(session)
        self.sessions.save(user, session)
        return turn

    def _stateful(self, message: Message, session: Session, text: str, command: str) -> Turn:
        """`_dispatch`, marked with what the message says about a pick just before (`bot.picks`)."""
        pick_time = picks.pending(session, self.clock(), self.settings.learn_window)
        turn = self._dispatch(message, session, text, command)
        return picks.judged(turn, pick_time, commands.said(command) in {Said.UNSATISFIED, Said.MORE})

    def _dispatch(self, message: Message, session: Session, text: str, command: str) -> Turn:
        said = commands.said(command)
        if said is Said.SATISFIED:
            return ratings.rate(session, Feedback.SATISFIED)
        if said is Said.UNSATISFIED:
            return ratings.rate(session, Feedback.UNSATISFIED)
        if said is Said.MORE:
            return listpages.next_page(self.kb.document, session)
        number = commands.parse_choice(command)
        if number is not None:
            return self._choose(session, number)
        if (about_item := item_followups.reply(self.kb, session, command)) is not None:
            return about_item
        return self._ask(message, session, text.strip()[:MAX_QUESTION_CHARS])

    # -- questions -----------------------------------------------------------------------------

    def _ask(
        self, message: Message, session: Session, question: str, *, menu: bool = False,
        respelled: Decision | None = None,
    ) -> Turn:
        """The turn for `question`; `respelled` is the decision `_respell` already took on this
        corrected question, reused unless the question reads as a follow-up of the topic."""
        asked = question if menu or respelled is not None else self.asks.reduce(question)  # a long plea: its asks
        terms = self.kb.analyze(asked)
        follow_up = not menu and self.kb.policy.is_follow_up(terms, session.topic, self.kb.domain_verbs)
        entry = self.kb.document(session.entry) if follow_up and session.entry else None
        said = follow_up_text(asked, terms)  # as typed and in the lexicon's words: 要带啥 asks as 要带什么
        if entry is not None:  # about the entry just shown: quote its answering sentence
            quoted = self._quote(entry, said)
            if quoted is not None:
                return dataclasses.replace(quoted, question=question)
        if not follow_up:
            early = None if menu else self.router.before_search(asked, terms)
            if early is not None:  # not Chinese, or about the township itself: no search needed
                session.entry = None
                return Turn(compose.text_reply(early.text), kind=early.kind, question=question,
                            answered=early.kind is ReplyKind.TOWNSHIP_INFO)
            if not menu and session.entry and (case := self._case(session.entry, asked, terms)):
                return dataclasses.replace(case, question=question)  # "外地户口可以吗": what the entry says of it
            session.entry = None  # a new question: the entry shown before is no longer the subject
        if respelled is not None and not follow_up:  # searched once already, without the topic
            decision = respelled
        else:
            decision = self.kb.policy.decide(asked, None if menu else session.topic, self.kb, self.kb.domain_verbs)
        if decision.kind is DecisionKind.EMPTY:
            return Turn(compose.text_reply(wording.EMPTY_QUESTION), kind=ReplyKind.EMPTY)
        did_you_mean = None
        read_with_topic = decision.follow_up or decision.narrowed  # the topic's words were searched too
        unsure = decision.result is not None and not decision.result.answered and not read_with_topic
        if unsure and not menu and respelled is None:
            turn, did_you_mean = self._respell(message, session, asked)
            if turn is not None:
                return dataclasses.replace(turn, question=question)
        fact = ask_kind(said) if decision.follow_up else None  # the kind of fact a follow-up asks for
        if entry is not None and fact and (missing := not_stated(entry, [h.doc for h in decision.hits], said)):
            self._remember_answer(session, self._message_key(message), entry)  # 不满意 rates this follow-up
            return Turn(compose.follow_up_not_stated(entry, missing), kind=ReplyKind.NOT_FOUND, question=question,
                        result=decision.result, answered=False, decision=decision)
        if fact and entry is None and session.choices is not None and decision.kind is not DecisionKind.ANSWER:
            return self._pick_first(session.choices, fact, question, decision)
        session.choices = None
        if not read_with_topic:
            session.topic = asked if decision.offered else None
        keys = [h.doc.key for h in decision.hits]
        if decision.kind in (DecisionKind.NOT_FOUND, DecisionKind.RELATED):
            # "不满意" after a "not found" is the most useful feedback staff can get: keep the key.
            self._remember_answer(session, self._message_key(message), None)
            if decision.kind is DecisionKind.RELATED:
                session.choices = Choices(query=decision.query, keys=keys, message_key=self._message_key(message),
                                          learnable=not menu and not read_with_topic)
            numbered = [(n, hit.doc) for n, hit in enumerate(decision.hits, start=1)]
            first = decision.hits[0].doc if decision.hits else None
            excerpt = item_reply.related_excerpt(self.kb, first, decision.terms, question=asked) if first else None
            routed = None if decision.follow_up else self.router.instead_of_not_found(question, list(decision.terms))
            if routed is not None:  # who handles it, a complaint route, or a calm reply
                return Turn(compose.routed_reply(routed.text, numbered, excerpt), kind=routed.kind, question=question,
                            result=decision.result, answered=False, decision=decision)
            related_topics = [] if decision.hits else self._related(list(decision.terms))
            reply = compose.not_found_reply(self.township, related_topics, numbered, excerpt)
            if did_you_mean:
                reply = compose.with_note(reply, wording.DID_YOU_MEAN.format(words=did_you_mean))
            return Turn(reply, kind=ReplyKind.NOT_FOUND, question=question, result=decision.result, answered=False,
                        decision=decision)
        assert decision.result is not None
        if decision.kind is DecisionKind.ANSWER:
            self._remember_answer(session, self._message_key(message), decision.hits[0].doc)
            answer, kind = self._answer(decision.hits[0].doc, decision.result.terms, asked)
            rivals = [(n, hit.doc) for n, hit in enumerate(decision.rivals, start=1)]
            if (listed := compose.with_rivals(answer, rivals)) is not None:  # one tap away if the choice was wrong
                answer = listed
                session.choices = Choices(query=decision.query, keys=[d.key for _, d in rivals],
                                          message_key=self._message_key(message), learnable=not menu)
            return Turn(answer, kind=kind, question=question, result=decision.result, answered=True, decision=decision)
        if entry is not None and fact and len(keys) > 1:  # the entry just read does not say it: others may
            keys = [key for key in keys if key != entry.key]
        session.choices = Choices(query=decision.query, keys=keys, message_key=self._message_key(message),
                                  learnable=not menu and not read_with_topic)
        self._remember_answer(session, self._message_key(message), None)  # a list can be rated too
        intro = compose.elsewhere_intro(entry, fact) if entry is not None and fact else None
        reply = listpages.first_page(self.kb.document, session.choices, intro)
        return Turn(reply, kind=ReplyKind.CHOICES, question=question, result=decision.result, answered=True,
                    decision=decision)

    def _pick_first(self, choices: Choices, kind: str, question: str, decision: Decision) -> Turn:
        """A follow-up asking a fact ("需要什么材料") while a list is open and none of its entries was
        read, that no entry answers outright: the fact depends on the entry, so the list shown
        is shown again, numbers unchanged, asking the citizen to pick — not "not found", and not
        another order of the same entries."""
        choices.page = 0
        reply = listpages.first_page(self.kb.document, choices, compose.pick_first_intro(kind))
        return Turn(reply, kind=ReplyKind.CHOICES, question=question, result=decision.result, answered=True,
                    decision=decision)

    def _answer(
        self, doc: Document, terms: tuple[str, ...] | list[str], question: str
    ) -> tuple[TextReply | NewsReply, ReplyKind]:
        """The reply for `doc`; an item's quote is chosen for `question` (the citizen's wording)."""
        if doc.kind == "faq":
            return compose.faq_answer(doc, full_text_url=page_url(self.settings.public_base_url, doc)), \
                ReplyKind.ANSWER_FAQ
        return item_reply.answer(self.kb, doc, terms, question=question), ReplyKind.ANSWER_ITEM

    def _respell(self, message: Message, session: Session, question: str) -> tuple[Turn | None, str | None]:
        """Typos (`knowledge.spelling`), for a question the search is unsure of: reply to the
        corrected question when it is answered — an answer or a numbered list ("医宝怎么报销" gets
        the 医保报销 entries) — with a note saying how it was read, or when it finds related entries
        that hold a corrected word, then asking "您是不是想问…" over them (a related list is itself
        unsure, and the speller also hears words in place names: 渌口区 → 路口). When the corrected
        question's best hit merely holds one, only the question is suggested (did-you-mean). A
        note names only the corrections whose words the entries shown hold: the speller also
        "corrects" ordinary speech (车想 → 车厢) that then plays no part in the reply.
        """
        corrections = self.kb.spelling(question)
        if not corrections:
            return None, None
        fixed = apply_corrections(question, corrections)
        fixed_decision = self.kb.policy.decide(fixed, None, self.kb)
        meant = {c.right: set(self.kb.analyze(c.right)) for c in corrections}
        shown = {t for h in fixed_decision.hits for t in h.matched}
        held = "」「".join(right for right, terms in meant.items() if terms & shown)
        if not fixed_decision.offered and not (fixed_decision.kind is DecisionKind.RELATED and held):
            result = fixed_decision.result
            best = set(result.hits[0].matched) if result is not None and result.hits else set()
            return None, "」「".join(meant) if any(terms & best for terms in meant.values()) else None
        turn = self._ask(message, session, fixed, respelled=fixed_decision)
        if turn.reply is not None and held:
            template = wording.SPELLING_NOTE if fixed_decision.offered else wording.DID_YOU_MEAN
            turn = dataclasses.replace(turn, reply=compose.with_note(turn.reply, template.format(words=held)))
        return turn, None

    def _quote(self, doc: Document, question: str) -> Turn | None:
        sentence = quote_for(doc, question) if doc.kind == "faq" else None
        return self._quoted(doc, sentence) if sentence is not None else None

    def _case(self, key: str, question: str, terms: list[str]) -> Turn | None:
        """A short yes/no question whether a case is covered ("外地户口可以吗"), answered with the
        sentence of the entry just shown that writes the case (`bot.followup.condition_quote`)."""
        words = condition_words(question, terms, self.kb.domain_verbs)
        entry = self.kb.document(key) if words else None
        sentence = condition_quote(entry, words, self.kb.written_forms) if entry is not None else None
        return self._quoted(entry, sentence) if entry is not None and sentence is not None else None

    def _quoted(self, doc: Document, sentence: str) -> Turn:
        reply = compose.follow_up_quote(doc, sentence, page_url(self.settings.public_base_url, doc))
        return Turn(reply, kind=ReplyKind.FOLLOW_UP_QUOTE, answered=True)

    @staticmethod
    def _remember_answer(session: Session, message_key: str | None, doc: Document | None) -> None:
        """The question 满意/不满意 rates (answered, listed or not found) and the entry shown, if any."""
        session.answered = message_key
        session.rated = False
        session.rating = None
        session.shown = doc.key if doc is not None and doc.kind == "item" else None
        session.entry = doc.key if doc is not None else None

    # -- lists ---------------------------------------------------------------------------------

    def _choose(self, session: Session, number: int) -> Turn:
        choices = session.choices
        if choices is None:
            return Turn(compose.text_reply(wording.CHOICES_EXPIRED), kind=ReplyKind.CHOICE_EXPIRED)
        if not 1 <= number <= len(choices.keys):
            reply = compose.text_reply(wording.CHOICE_OUT_OF_RANGE.format(total=len(choices.keys)))
            return Turn(reply, kind=ReplyKind.CHOICE_INVALID)
        doc = self.kb.document(choices.keys[number - 1])
        if doc is None:
            return Turn(compose.text_reply(wording.CHOICE_GONE), kind=ReplyKind.CHOICE_GONE)
        self._remember_answer(session, choices.message_key, doc)
        terms = self.kb.analyze(choices.query)
        answer, kind = self._answer(doc, terms, choices.query)
        return Turn(answer, kind=kind, choice=picks.picked(session, choices, doc, terms, self.clock()))

    # -- topics ----------------------------------------------------------------------------------

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
