"""What a citizen's next message says about the entry they just picked from a list.

The conversation's whole part in learning from citizens' choices (`bot.learning`): a pick from
a list is marked on its turn (`ChoiceSignal`, picked), and the next message within
`LEARN_WINDOW` seconds that doubts it — 不满意, 更多, another number, a new question that is
not a follow-up about the entry — is marked too (not picked). The session keeps only the pick's
time (`Session.picked_at`).
"""

from __future__ import annotations

import dataclasses

from bot.session import Choices, Session
from bot.turn import ChoiceSignal, ReplyKind, Turn
from knowledge.document import Document


def pending(session: Session, now: float, window: int) -> float | None:
    """When the last pick happened, if within the window (cleared either way: one message decides)."""
    at, session.picked_at = session.picked_at, None
    if at is None or not 0 <= now - at <= window:
        return None
    return at


def judged(turn: Turn, pick_time: float | None, doubting_command: bool) -> Turn:
    """`turn`, marked with what it says about the pick at `pick_time` (None: no pick pending)."""
    if pick_time is None:
        return turn
    if turn.choice is not None:  # another pick soon after: the earlier one was not it
        return dataclasses.replace(turn, choice=dataclasses.replace(turn.choice, since=pick_time))
    decision = turn.decision
    asked_again = (turn.question is not None and not (decision is not None and decision.follow_up)
                   and turn.kind is not ReplyKind.FOLLOW_UP_QUOTE)
    if doubting_command or asked_again:
        return dataclasses.replace(turn, choice=ChoiceSignal(picked=False, since=pick_time))
    return turn


def picked(session: Session, choices: Choices, doc: Document, terms: list[str], now: float) -> ChoiceSignal | None:
    """The signal for opening `doc` from `choices`: only the citizen's own question, only FAQ entries
    (items have no 相似问法 to learn)."""
    if not choices.learnable or doc.kind != "faq":
        return None
    session.picked_at = now
    return ChoiceSignal(picked=True, wording=choices.query, terms=tuple(terms), key=doc.key, at=now)
