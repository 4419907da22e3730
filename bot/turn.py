"""What one inbound message produced: the reply, and what the question log should record.

The conversation decides the reply; the webhook renders it, remembers it for WeChat's retries
and hands the rest to the question log. Keeping this a plain value lets each side be tested
without the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.wechat.replies import NewsReply, TextReply
from knowledge.document import SearchResult
from knowledge.policy import Decision


@dataclass(frozen=True)
class Turn:
    reply: TextReply | NewsReply | None  # None: answer WeChat with "success" (no message)
    kind: str  # reply kind for the log: answer_faq, answer_item, choices, not_found, help, ...
    question: str | None = None  # the citizen's question when this turn is one to log
    result: SearchResult | None = None
    answered: bool = False
    # (message key of the answered question, "satisfied" | "unsatisfied") for a feedback turn
    feedback: tuple[str, str] | None = None
    decision: Decision | None = None  # the answer policy's verdict, for a question
