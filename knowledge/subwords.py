"""A question's word the knowledge base does not know, searched as the parts it does know.

jieba keeps a user-dictionary term or a long compound whole (回应关切, 最低生活保障), and the
documents are segmented the same way, so the word matches wherever a document writes it whole.
But a knowledge base that never writes it whole — the 2018 work summary of the bundled sample
speaks of 电话回应 and never of 回应关切 — has no such word, and the question then matches
only through its other words: "金贵镇回应关切情况" found only 金贵镇 and 情况 and was answered
with an unrelated FAQ entry. So, before the search, a question's word of three characters or
more that no served document contains is replaced by the dictionary's best segmentation of it
without the word itself (`TextProcessor.subwords`), when that segmentation is made of words of
two characters or more (被车撞 → 被 / 车 / 撞 stays whole: 车 would become 车辆 and draw every
entry about vehicles) and at least one of them is a word of the knowledge base. Unknown parts
are kept: they are what the citizen asked and the knowledge base lacks, and the decision's
query coverage (`knowledge.search`) weighs them as unseen words. The characters searched are
the same.

A word stays whole when one of its parts is the word again (`TextProcessor.subwords` gives no
parts then): 住房公积金 cuts into 住房 / 公积金, and 公积金 is the lexicon's colloquial name of
住房公积金, so the parts would be 住房 and the word itself. Searching 住房 searches something
else: the bundled sample, which never writes 住房公积金, answered "公积金" with 农村危房改造 (its
answer mentions 住房安全). Kept whole, the word is unknown and the question gets "not found" or
the 住房公积金 office (`bot.routing`). The rule looks at the word alone, never at how the question
wrote it, so a 办理事项 of the 办事机构 directory and a question naming it are analysed alike.

Only the question side changes, and only for words the served index lacks, so a knowledge base
that knows every word of a question searches exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

# A word this long or longer that the index lacks is tried in parts (two characters are one
# word or two characters: their characters are matched already).
MIN_SPLIT_CHARS = 3


def split_unknown(words: Sequence[str], knows: Callable[[str], bool],
                  subwords: Callable[[str], list[str]]) -> list[str]:
    """`words` with every long word `knows` rejects replaced by its `subwords` when one of them is
    known, in order."""
    split: list[str] = []
    for word in words:
        if len(word) >= MIN_SPLIT_CHARS and not word.isascii() and not knows(word):
            parts = subwords(word)
            if any(knows(p) for p in parts):
                split.extend(parts)
                continue
        split.append(word)
    return split
