"""The learning benchmark's wordings: held-out variants stay in the learned wording's group."""

from __future__ import annotations

from bench.learning import pick_held_out, same_group, shown_number
from bot.reports.grouping import group_key
from bot.turn import ReplyKind, Turn
from bot.wechat import TextReply
from knowledge.text import TextProcessor


def test_variants_are_the_same_wording_group_and_the_held_out_one_is_not_learned(processor: TextProcessor) -> None:
    wordings = same_group(processor.analyze, "低保怎么申请")
    keys = {group_key(" ".join(processor.analyze(w)), w) for w in wordings}
    assert len(keys) == 1 and len(wordings) >= 3
    held_out = pick_held_out(wordings)
    assert held_out == "低保如何申请" and held_out != wordings[0]


def test_the_simulated_citizen_picks_the_number_of_the_right_entry_as_shown() -> None:
    reply = TextReply("为您找到以下相关内容：\n1. 低保审批要多久？\n2. 低保在哪里办理…\n回复序号查看详情。")
    turn = Turn(reply, kind=ReplyKind.CHOICES)
    assert shown_number(turn, {"低保在哪里办理？需要带什么"}) == 2
    assert shown_number(turn, {"高龄津贴怎么申领？"}) is None
