"""A citizen's conversation memory: the last list of choices, the current topic, the last answer.

Kept in the state store (Redis in production) under the citizen's pseudonym, never the OpenID;
message keys in it are pseudonyms too, and the question text it keeps (topic, list query) is
masked and capped when saved (`STORED_TEXT_CHARS`), so Redis never holds a phone or ID number
nor a pasted wall of text. The session expires `session_ttl` seconds after the last message.
Everything in it can be lost at any moment (expiry, Redis outage): the conversation then
behaves as for a new citizen, and a numbered reply is told that its list has expired
instead of being answered from nothing.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from bot.privacy import mask_citizen_text
from bot.state import StateStore

if TYPE_CHECKING:  # bot.turnstate builds on this module's keys
    from bot.turnstate import Delivery

log = logging.getLogger(__name__)

SESSION_PREFIX = "session:"
RATE_PREFIX = "rate:"
GLOBAL_RATE_KEY = "rate-all"
RATE_WINDOW = 60  # seconds; the limit is per minute
STORED_TEXT_CHARS = 200  # a topic or list query longer than this adds nothing to a follow-up


def _stored_text(text: str | None) -> str | None:
    return mask_citizen_text(text[:STORED_TEXT_CHARS * 2])[:STORED_TEXT_CHARS] if text else text


@dataclass
class Choices:
    """A numbered list shown to the citizen: document keys in shown order, and the page shown."""

    query: str  # the (follow-up-expanded) query the list answers, for summaries of a choice
    keys: list[str]
    page: int = 0
    message_key: str | None = None  # the question that produced the list, for feedback
    learnable: bool = False  # `query` is the citizen's own question (not a follow-up or menu topic): bot.learning


@dataclass
class Session:
    topic: str | None = None  # the query whose key terms a short follow-up is read with
    choices: Choices | None = None
    answered: str | None = None  # message key of the last question (answered, listed or not found) for 满意/不满意
    rated: bool = False  # that answer has been rated already
    shown: str | None = None  # key of the last item shown, for "这个文件文号是多少" (bot.item_followups)
    rating: str | None = None  # its rating ("satisfied" may still become "unsatisfied")
    entry: str | None = None  # document key of the entry last shown in full (follow-ups quote it)
    picked_at: float | None = None  # when an entry was last picked from a list (bot.learning's window)

    def to_json(self) -> dict[str, Any]:
        """What the store keeps: question text masked and capped (see the module docstring)."""
        data = asdict(self)
        data["topic"] = _stored_text(self.topic)
        if data["choices"] and self.choices is not None:
            data["choices"]["query"] = _stored_text(self.choices.query) or ""
        return data

    @classmethod
    def from_json(cls, data: Any) -> Session:
        """Read what the store holds; anything unreadable counts as no session at all."""
        if not isinstance(data, dict):
            return cls()
        choices = data.get("choices")
        try:
            parsed = Choices(**choices) if isinstance(choices, dict) else None
        except TypeError:
            parsed = None
        topic, answered, shown = data.get("topic"), data.get("answered"), data.get("shown")
        topic, answered, rating = data.get("topic"), data.get("answered"), data.get("rating")
        entry, picked_at = data.get("entry"), data.get("picked_at")
        return cls(
            topic=topic if isinstance(topic, str) else None,
            choices=parsed,
            answered=answered if isinstance(answered, str) else None,
            rated=bool(data.get("rated")),
            shown=shown if isinstance(shown, str) else None,
            rating=rating if rating in {"satisfied", "unsatisfied"} else None,
            entry=entry if isinstance(entry, str) else None,
            picked_at=float(picked_at) if isinstance(picked_at, int | float) else None,
        )


class Sessions:
    """Loads and saves sessions and counts messages per minute, keyed by pseudonym.

    Inside `within(delivery)` (the webhook's turn, `bot.turnstate`) the values come from what
    the delivery read when it opened — counters counted, session read under the citizen's
    lock — and a save is kept for the delivery's close, so the turn costs the store no round
    trip of its own. Outside it (the CLI, the hit test, tests) each call asks the store.
    """

    def __init__(self, state: StateStore, ttl: int) -> None:
        self.state = state
        self.ttl = ttl
        self._local = threading.local()

    @contextlib.contextmanager
    def within(self, delivery: Delivery) -> Iterator[None]:
        """Serve this thread's session calls from `delivery` for the duration of the block."""
        self._local.delivery = delivery
        try:
            yield
        finally:
            self._local.delivery = None

    def _delivery(self, user: str | None = None) -> Delivery | None:
        delivery: Delivery | None = getattr(self._local, "delivery", None)
        if delivery is None or (user is not None and delivery.user != user):
            return None
        return delivery

    def load(self, user: str) -> Session:
        delivery = self._delivery(user)
        if delivery is None:
            return Session.from_json(self.state.get_json(SESSION_PREFIX + user))
        raw = delivery.stored_session()
        try:
            return Session.from_json(None if raw is None else json.loads(raw))
        except ValueError:
            log.warning("dropping an unreadable session")
            return Session()

    def save(self, user: str, session: Session) -> None:
        """Write the session back; every save restarts its time to live (expiry after silence)."""
        delivery = self._delivery(user)
        if delivery is None:
            self.state.set_json(SESSION_PREFIX + user, session.to_json(), self.ttl)
        else:
            delivery.pending_session = json.dumps(session.to_json(), ensure_ascii=False, separators=(",", ":"))

    def clear(self, user: str) -> None:
        self.state.delete(SESSION_PREFIX + user)

    def allow(self, user: str, per_minute: int) -> bool:
        """Count this message; False once the citizen sent more than `per_minute` in the window.

        A store outage reads as 0, so an outage never locks citizens out. 0 disables the limit.
        """
        if per_minute <= 0:
            return True
        delivery = self._delivery(user)
        if delivery is not None and RATE_PREFIX + user in delivery.counts:
            return delivery.counts[RATE_PREFIX + user] <= per_minute
        return self.state.incr(RATE_PREFIX + user, RATE_WINDOW) <= per_minute

    def allow_global(self, per_minute: int) -> bool:
        """Count this message against every citizen's total; False beyond `per_minute` (0: no limit)."""
        if per_minute <= 0:
            return True
        delivery = self._delivery()
        if delivery is not None and GLOBAL_RATE_KEY in delivery.counts:
            return delivery.counts[GLOBAL_RATE_KEY] <= per_minute
        return self.state.incr(GLOBAL_RATE_KEY, RATE_WINDOW) <= per_minute
