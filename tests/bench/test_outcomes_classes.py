"""`bench.outcomes.classify`: how a reply to a development question is counted."""

from __future__ import annotations

from bench.outcomes import REACHABLE, WRONG, classify
from bot import wording
from bot.turn import ReplyKind
from bot.wechat import TextReply

GOLD = {"低保审批要多久？"}


def answer(body: str, *rivals: str) -> TextReply:
    listed = "".join(f"\n{n}. {title}" for n, title in enumerate(rivals, start=1))
    return TextReply(f"【城乡低保怎么申请？】\n{body}" + (f"\n\n{wording.RIVALS}{listed}" if rivals else ""))


def test_a_wrong_direct_answer_with_the_right_entry_among_its_rivals_is_wrong_and_one_tap_away() -> None:
    outcome = classify(answer("向村委会申请。", "低保审批要多久？"), ReplyKind.ANSWER_FAQ, GOLD, "城乡低保怎么申请？")
    assert outcome == "direct answer, WRONG, gold shown" and outcome in WRONG and outcome in REACHABLE


def test_numbered_lines_of_an_answer_body_are_not_rivals() -> None:
    reply = answer("办理步骤：\n1. 低保审批要多久？")  # the body happens to list the gold's title
    assert classify(reply, ReplyKind.ANSWER_FAQ, GOLD, "城乡低保怎么申请？") == "direct answer, WRONG"
    assert classify(answer("向村委会申请。", "低保审批要多久？"), ReplyKind.ANSWER_FAQ, GOLD, "低保审批要多久？") == \
        "direct answer, correct"
