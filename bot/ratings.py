"""满意 / 不满意 (and "不是这个", "答非所问" …: `bot.commands`) rate the last reply of the session.

The rating belongs to the question the session last answered, listed or could not answer
(`Session.answered`): "不满意" after a "not found" is the feedback staff most need, and it is
logged against that question (`Turn.feedback`). A rating is given once per reply, except that
满意 may still become 不满意 within the session — a citizen who tried the answer and found it
wrong changes their mind, and that is worth keeping.
"""

from __future__ import annotations

from bot import compose, wording
from bot.session import Session
from bot.turn import Feedback, ReplyKind, Turn


def rate(session: Session, value: Feedback) -> Turn:
    """The turn for a rating: recorded against the question last answered, or said to have
    nothing to rate."""
    if session.answered is None:
        return Turn(compose.text_reply(wording.FEEDBACK_NOTHING), kind=ReplyKind.FEEDBACK_NONE)
    changes_mind = session.rating == Feedback.SATISFIED and value is Feedback.UNSATISFIED
    if session.rated and not changes_mind:  # 满意 may still become 不满意 within the session
        return Turn(compose.text_reply(wording.FEEDBACK_ALREADY), kind=ReplyKind.FEEDBACK_REPEAT)
    session.rated = True
    session.rating = value.value
    if value is Feedback.SATISFIED:
        text = wording.FEEDBACK_SATISFIED
    else:
        lines = [wording.FEEDBACK_UNSATISFIED, wording.FEEDBACK_UNSATISFIED_HELP]
        if session.choices is not None and session.choices.message_key == session.answered:
            lines.insert(1, wording.FEEDBACK_UNSATISFIED_LISTED)  # the rated reply's numbers still open
        text = "\n".join(lines)
    return Turn(compose.text_reply(text), kind=ReplyKind.FEEDBACK, feedback=(session.answered, value))
