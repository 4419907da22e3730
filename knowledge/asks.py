"""A long plea reduced to its asks before search, so the story around a question does not drown it.

"老伴瘫痪在床，家里没有收入，日子过不下去了……低保要啥材料，去哪办？" is one question in a story.
Searched whole, the story's words (瘫痪, 收入, 日子) pull towards unrelated entries and the
decision sees a weak, diffuse match. A message of at least `MIN_CLAUSES` clauses and `MIN_CHARS`
characters is split at sentence and clause ends; the clauses kept are those that ask (a question
word or particle: 吗 呢 怎么 如何 什么 啥 咋 哪 多少 几 能否 是否 请问 …, or a question mark) or
that name a service (a word of the project's own lexicon: the user dictionary and the synonym
table, which list the services and official terms the township deals with). When nothing or
everything would be kept, the message is searched as it is.

Question words are the closed class of Chinese interrogatives; the service nouns are the
staff-edited lexicon, never a list written for particular messages.

The words that ask *about* a topic without naming one (`FOLLOW_UP_WORDS`: 材料, 哪里, 多久 …) are
kept here too: the rest of a question are its content words (`content_words`), which the answer
policy, the follow-ups and the reports all read the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property, lru_cache
from pathlib import Path

from knowledge.text import DEFAULT_LEXICON_DIR

MIN_CLAUSES = 3
MIN_CHARS = 25
QUESTION_WORDS = ("吗", "呢", "怎么", "怎样", "如何", "什么", "啥", "咋", "哪", "多少", "几", "能否", "能不能",
                  "可不可以", "可以吗", "是否", "请问", "有没有", "多久", "多长")
# Interrogatives in their indefinite or fixed uses, which ask nothing: 好几年 / 几十年 ("several"),
# 几乎 ("almost"), 哪怕 ("even if"), 什么都 / 什么也 ("anything at all"). Blanked before the test,
# so "老伴瘫痪在床好几年了" is story, not an ask.
NOT_ASKING = ("好几", "几乎", "几十", "几百", "几千", "几万", "哪怕", "什么都", "什么也")
_CLAUSE = re.compile(r"[^。！？!?；;，,、\n]+[。！？!?；;，,、]?")

# Words that say what the citizen does with a message — complain, request, ask — rather than what
# it is about: "咨询…居住证", "投诉…停车收费" are about 居住证 and 停车收费. The router
# (`bot.routing`) answers complaints and requests by them; the topic-word test
# (`knowledge.topicwords`) never counts them as a topic.
COMPLAINT_WORDS = ("投诉", "举报")
REQUEST_WORDS = ("请求", "反映", "希望", "呼吁", "恳请", "质疑", "诉求")
ASKING_WORDS = ("咨询", "询问")
SPEECH_ACT_WORDS = frozenset((*COMPLAINT_WORDS, *REQUEST_WORDS, *ASKING_WORDS))


def lexicon_words(lexicon_dir: Path = DEFAULT_LEXICON_DIR) -> list[str]:
    """Every word of the user dictionary and the synonym table (comments and frequencies dropped)."""
    words: list[str] = []
    for name, whole_line in (("userdict.txt", False), ("synonyms.txt", True)):
        path = lexicon_dir / name
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            fields = line.split("#", 1)[0].split()
            words.extend(fields if whole_line else fields[:1])
    return words


def asks_a_question(text: str) -> bool:
    """Whether `text` asks something (a question mark or a question word), rather than only
    requesting, complaining or stating ("请求整顿…", "投诉…", "希望…")."""
    return "？" in text or "?" in text or any(w in text for w in QUESTION_WORDS)


class AskReducer:
    def __init__(self, analyze: Callable[[str], list[str]], service_words: Iterable[str] | None = None) -> None:
        self.analyze = analyze
        self._service_words = None if service_words is None else list(service_words)

    @cached_property
    def service_terms(self) -> frozenset[str]:
        """Analysed on first use: building the app must not load jieba (`bot.startup` does)."""
        words = lexicon_words() if self._service_words is None else self._service_words
        return frozenset(t for w in words for t in self.analyze(w) if len(t) >= 2)

    def reduce(self, message: str) -> str:
        """The asking clauses of a long message, or the message itself."""
        clauses = [c.strip() for c in _CLAUSE.findall(message) if c.strip()]
        if len(clauses) < MIN_CLAUSES or len(message) < MIN_CHARS:
            return message
        kept = [c for c in clauses if self._asks(c)]
        if not kept or len(kept) == len(clauses):
            return message
        return "".join(kept)

    def _asks(self, clause: str) -> bool:
        plain = clause
        for phrase in NOT_ASKING:
            plain = plain.replace(phrase, "")
        if clause.endswith(("？", "?")) or any(w in plain for w in QUESTION_WORDS):
            return True
        return not self.service_terms.isdisjoint(self.analyze(clause))


# Words that ask *about* a topic without naming one: a question made only of these (after the
# knowledge base's analysis) is a follow-up to the previous topic, and the other words of a
# question are its content words. Kept explicit rather than derived from idf, so staff can read
# and extend it and the rule does not drift as the knowledge base grows.
FOLLOW_UP_WORDS = frozenset(
    " ".join(
        (
            "需要 要 需 什么 哪些 啥 材料 资料 证件 手续 证明 准备 带 携带 提供 提交 复印件 原件",  # what to bring
            "哪里 在哪 哪儿 哪 地方 地点 地址 位置 办 办理 去 找 部门 窗口 电话 联系 联系方式",  # where
            "多少 钱 费用 收费 收 交 缴 缴费 多少钱 金额",  # how much
            "多久 多长 时间 几天 天 期限 时限 什么时候 时候 截止",  # how long
            "怎么 怎么办 怎样 咋 如何 流程 程序 步骤 条件 符合条件 要求 标准 办法 方法 申请",  # how
            "能 能不能 可以 可不可以 是否 吗 呢 还 那 那么 这个 那个 呀 啊 吧",  # particles
            "网上 线上 线下 现场 手机 本人 代办 委托",  # which way
        )
    ).split()
)
# A follow-up that names no thing is short: with four content words "醴娄高速进度如何" (four
# characters cut apart, 进度) would read as one; with three none of the 170 development
# questions and 2,816 city messages does (`AnswerPolicy.is_follow_up`).
FOLLOW_UP_MAX_WORDS = 3


def content_words(terms: Sequence[str]) -> set[str]:
    """The terms that name what is asked about (everything but asking words: `is_asking`)."""
    return {t for t in terms if not is_asking(t)}


def is_asking(term: str) -> bool:
    """A word of FOLLOW_UP_WORDS, or a longer one the segmenter keeps whole that is made of them
    (多长时间 = 多长 + 时间, 啥时候 = 啥 + 时候, 联系电话 = 联系 + 电话): it asks about a topic
    without naming one. jieba's dictionary holds such compounds, so "要多长时间" after an answer
    was read as naming 多长时间 and searched anew instead of quoting the entry's time limit
    (`python -m bench.followups`)."""
    return made_of(term, FOLLOW_UP_WORDS)


@lru_cache(maxsize=65536)
def made_of(term: str, words: frozenset[str]) -> bool:
    """Whether `term` is one of `words` or, from three characters on, a concatenation of them (two
    single characters of `words` can make a word of their own: 还钱)."""
    if term in words:
        return True
    if len(term) < 3:
        return False
    made = [True] + [False] * len(term)  # made[i]: term[:i] is a concatenation of words
    for end in range(1, len(term) + 1):
        made[end] = any(made[start] and term[start:end] in words for start in range(max(0, end - 4), end))
    return made[-1]
