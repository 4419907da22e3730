"""Which messages are commands rather than questions (`bot.commands`)."""

from __future__ import annotations

import pytest

from bot.commands import Said, command_form, is_question, said


@pytest.mark.parametrize(("text", "meaning"), [("满意！", Said.SATISFIED), (" 不满意 ", Said.UNSATISFIED),
                                                ("ＨＥＬＰ", Said.HELP), ("转人工", Said.STAFF),
                                                ("还有吗？", Said.MORE), ("谢谢", Said.THANKS),
                                                ("嗯嗯", Said.THANKS), ("再见！", Said.BYE), ("88", Said.BYE),
                                                ("不是这个！", Said.UNSATISFIED), ("答非所问", Said.UNSATISFIED),
                                                ("还有别的吗？", Said.MORE), ("其他的呢", Said.MORE)])
def test_a_command_is_recognised_in_its_folded_form(text: str, meaning: Said) -> None:
    assert said(command_form(text)) is meaning


@pytest.mark.parametrize("text", ["", "   ", "！！", "2", "第三个", "更多", "满意"])
def test_empty_messages_choices_and_commands_are_not_questions(text: str) -> None:
    assert not is_question(command_form(text))


@pytest.mark.parametrize("text", ["低保咋申请", "满意度调查在哪填", "第三个孩子有补贴吗", "不对外开放的信息怎么申请"])
def test_a_question_that_contains_a_command_word_is_still_a_question(text: str) -> None:
    assert is_question(command_form(text)) and said(command_form(text)) is None
