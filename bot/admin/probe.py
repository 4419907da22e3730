"""What a citizen would get for a question, with the reasons, and nothing written anywhere.

The hit test (命中测试) and "test this entry" run the real `Conversation` — the same intents,
search, decision and reply composition as WeChat — but against a scratch in-memory state
store, so no citizen session, rate-limit counter or question-log row is touched. The decision
and its reason are the answer policy's own (`KnowledgeBase.decide`, `knowledge.policy`).
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from dataclasses import dataclass

from bot.cli.ask import reply_text
from bot.runtime import Runtime
from bot.state import MemoryStore, ResilientStore
from bot.turn import REPLY_KIND_LABELS, Turn
from bot.wechat.messages import Message
from knowledge.base import KnowledgeBase
from knowledge.decision import Decision, DecisionKind
from knowledge.document import Hit

PROBE_USER = "admin-hit-test"


@dataclass(frozen=True)
class Probe:
    question: str
    turn: Turn
    reply: str  # exactly the text the citizen would read
    decision: Decision  # the answer policy's verdict (`knowledge.policy`), with its reason
    before: Turn | None = None  # the turn of the question asked first, when a follow-up is tested

    @property
    def before_label(self) -> str:
        return REPLY_KIND_LABELS[self.before.kind] if self.before is not None else ""

    @property
    def from_entry(self) -> bool:
        """Answered from the entry the first question showed, with no search of its own (a quote,
        its 文号 …): the hits shown are then those of the question asked alone."""
        return self.before is not None and self.turn.decision is None

    @property
    def kind_label(self) -> str:
        return REPLY_KIND_LABELS[self.turn.kind]

    @property
    def hits(self) -> tuple[Hit, ...]:
        """The ranked hits of the search, best first."""
        return self.decision.result.hits if self.decision.result is not None else ()

    @property
    def offered(self) -> tuple[str, ...]:
        """Keys of the documents answered or listed, in order."""
        return tuple(h.doc.key for h in self.decision.hits) if self.decision.offered else ()

    @property
    def related(self) -> tuple[str, ...]:
        """Keys a "not found" reply offers as only related."""
        return tuple(h.doc.key for h in self.decision.hits) if self.decision.kind is DecisionKind.RELATED else ()

    @property
    def reason(self) -> str:
        return self.decision.explanation

    def reaches(self, key: str) -> str | None:
        """How this question reaches document `key`: "answer", "list", "rival" (listed under
        another entry's direct answer, `Decision.rivals`), "related" or None (not at all)."""
        if key in self.offered:
            return "answer" if self.decision.kind is DecisionKind.ANSWER else "list"
        if key in (h.doc.key for h in self.decision.rivals):
            return "rival"
        return "related" if key in self.related else None


def probe(runtime: Runtime, question: str, kb: KnowledgeBase | None = None, before: str = "") -> Probe:
    """Ask `question` as a new citizen would, on this worker's current index (or on `kb`, a
    `KnowledgeBase.variant` with a pending change applied) — or, with `before`, right after
    asking that, as a follow-up ("需要什么材料" after "低保怎么申请") is asked."""
    if kb is None:
        runtime.kb.maybe_reload(wait=True)  # staff test what they just saved
        kb = runtime.kb
    settings = dataclasses.replace(runtime.settings, rate_limit_per_minute=0)
    conversation = runtime.conversation.sibling(kb, ResilientStore(MemoryStore()), settings)
    first = conversation.respond(_message(before)) if before else None
    turn = conversation.respond(_message(question))
    decision = turn.decision if first is not None and turn.decision is not None else kb.decide(question)
    return Probe(question=question, turn=turn, reply=reply_text(turn.reply) or "（不回复）", decision=decision,
                 before=first)


def _message(text: str) -> Message:
    return Message(to_user="admin", from_user=PROBE_USER, create_time=int(time.time()), msg_type="text",
                   msg_id=uuid.uuid4().hex, content=text)
