"""What a citizen's message says when it is not a question: 帮助, 人工, 满意, 更多, a number …

The conversation asks this first and searches only what is left; the webhook asks it too
(`is_question`), before any session is read, to log a question whose answer may be late.
Matching is on a folded form (`command_form`), so "满意！", "ＯＫ" and " 更多 " are commands.
"""

from __future__ import annotations

import enum
import re
import unicodedata


class Said(enum.Enum):
    """The commands a citizen can send instead of a question."""

    HELP = "help"
    STAFF = "staff"
    THANKS = "thanks"
    BYE = "bye"
    SATISFIED = "satisfied"
    UNSATISFIED = "unsatisfied"
    MORE = "more"


_WORDS: dict[Said, set[str]] = {
    Said.HELP: {"帮助", "菜单", "?", "help", "你好", "您好", "hi", "hello", "在吗", "使用说明"},
    Said.STAFF: {"人工", "转人工", "人工服务", "人工客服", "客服"},
    Said.THANKS: {"谢谢", "谢谢你", "谢谢您", "多谢", "感谢", "好的", "收到", "ok", "知道了", "明白了",
                  "好", "好吧", "好嘞", "嗯", "嗯嗯", "哦", "哦哦", "行", "懂了"},
    # 88 is never a list number: a list holds at most 15 entries (`Thresholds.max_choices`).
    Said.BYE: {"再见", "拜拜", "拜", "bye", "byebye", "88", "再会", "回头见"},
    Said.SATISFIED: {"满意", "很满意", "非常满意", "满意了"},
    # Saying the reply missed is rating it: "不是这个" after an answer is the 不满意 staff need to see.
    Said.UNSATISFIED: {"不满意", "很不满意", "非常不满意", "不太满意", "不大满意",
                       "不是这个", "不是这个意思", "不是我要的", "不是我想要的", "不是我问的", "答非所问",
                       "没用", "没有用", "没帮助", "没有帮助", "不对", "不对啊", "回答错了"},
    Said.MORE: {"更多", "下一页", "下页", "更多结果", "还有吗", "还有呢", "还有", "继续", "more", "next",
                "还有别的吗", "还有别的", "别的呢", "还有其他的吗", "还有其他吗", "还有其它吗", "其他的呢",
                "还有没有"},
}
_SAID = {word: meaning for meaning, words in _WORDS.items() for word in words}
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CHOICE = re.compile(r"^(?:第|选|看)?([0-9]{1,2}|[一二两三四五六七八九十]{1,3})(?:个|条|项|号)?$")
_EDGE_NOISE = re.compile(r"^[\W_]+|[\W_]+$")
_SPACE = re.compile(r"\s+")


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


def said(command: str) -> Said | None:
    """The command a folded message (`command_form`) is, or None."""
    return _SAID.get(command)


def is_question(command: str) -> bool:
    """True when a folded message is neither empty, a command nor a numbered choice."""
    return bool(command) and said(command) is None and parse_choice(command) is None

