"""Which words of a question name its topic, so a "related" suggestion is never absurd.

A suggestion under "not found" used to need only half of the question's content words; for
"户口本丢了" that was 丢失 alone, and a question about a lost household register was offered
how to find things left on a train. A suggestion must share the *topic*, not the verb.

Method (no word list written for any question):

* **topic words** are the question's analysed terms of at least two characters that are not
  generic: not in the conversation's follow-up vocabulary (什么, 办理, 材料, 多少 …: words that
  ask *about* a topic) and not place names. Single characters (证, 办, 丢, 宝) are never topic
  words: alone they name nothing.
* a **domain verb** of a knowledge base is a topic word although it is a verb: a verb that is
  rare in general Chinese (its frequency in jieba's dictionary below the 95th percentile of the
  dictionary's verbs) and heads a word of the knowledge base's own vocabulary that names a thing
  (停车 → 停车场, 排水 → 排水管, 溺水 → 溺水者). jieba tags 停车, 排水 and 溺水 verbs, yet for a
  knowledge base that has 停车场 and 排水管 they are what a question is about; procedure verbs
  are just as rare (丢失, 补办, 挂失) but head no thing, so "护照丢了怎么补办" still shares nothing
  with 国际象棋棋士证书丢失补办 (`domain_verbs`; the index keeps its own set, and a search
  reports the question's in `SearchResult.topical`).
* a **place name** is a word jieba's own dictionary tags ``ns`` (朝阳区, 北京, 海淀), or a word of
  three or more characters ending in an administrative suffix (省 市 区 县 镇 乡 街道): a township
  or a district copy of the same FAQ must not make two entries "related".
* words that say what the citizen does with the message — ask, complain, request (咨询, 投诉,
  反映 …: `knowledge.asks.SPEECH_ACT_WORDS`, the router's words) — are never topic words:
  "关于办理居住证登记凭证的咨询" is about 居住证, not about entries that mention 咨询.
* a suggestion is related when it contains at least one of the question's topic words: so
  "护照丢了怎么补办" is no longer offered 国际象棋棋士证书丢失补办 (shared: 丢失, 补办).
* a compound jieba's dictionary lacks is cut into single characters (雾霾 → 雾 / 霾), which are
  never topic words: two adjacent one-character terms of the question count as a shared topic
  when the suggested entry writes them together (`split_compounds`; `python -m bench.absurd`
  counts what this lets through: README, "Absurd suggestions").

Measured on the 170 development questions: five replies change, one of which loses the right
entry from its suggestions (路边停车…收费: 停车 is tagged a verb); the cross-validated figures
are in the README. A stricter variant (the shared topic words must carry half of the
question's idf weight) cost 3.3 points of "right entry answered or one tap away" (73.4 % →
70.1 % mean over departments) by dropping good suggestions for long questions, and was not kept.
Leaving out the speech-act words (eleventh session) changed no development reply and no
cross-validated figure; over the 2,816 city messages it dropped 96 suggestions, 89 of them sharing
no word held by ≤ 2 % of the bank's entries (`python -m bench.absurd`).
Counting the knowledge base's domain verbs (twelfth session): reachable 89.3 → 90.6 % mean over
departments, every other cross-validated figure unchanged; over the city messages 14 more
suggestions, 2 more sharing no word held by ≤ 2 % of the entries (README, "Verbs that name a domain").
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Collection, Iterable, Sequence
from functools import lru_cache
from pathlib import Path

from knowledge.asks import FOLLOW_UP_WORDS, SPEECH_ACT_WORDS, is_asking, made_of
from knowledge.text import DEFAULT_LEXICON_DIR

_HAN_PAIR = re.compile(r"[\u4e00-\u9fff]{2}$")
_PLACE_SUFFIXES = ("省", "市", "区", "县", "镇", "乡", "街道")
# One-character place suffixes (and 村): two characters of which one is these are a place name cut up.
_PLACE_CHARACTERS = frozenset("省市区县镇乡村")
# jieba tags of words that do not name a topic: verbs, adjectives, adverbs, pronouns,
# prepositions, conjunctions, particles, numerals, measure words, time and direction words —
# every sub-tag of these families that jieba's dictionary uses (df is 不要, rr 咱们, uv 地 …).
_NOT_A_THING = frozenset(
    ("v", "vd", "vi", "vg", "vq", "a", "ad", "an", "ag", "d", "df", "dg", "r", "rr", "rz", "rg", "p", "c",
     "u", "uj", "ul", "ud", "ug", "uv", "uz", "m", "mq", "mg", "q", "t", "tg")
) | {"f", "y", "e", "o"}
# The verb tags among them (vn, a verbal noun, already names a thing).
_VERB_TAGS = frozenset(tag for tag in _NOT_A_THING if tag.startswith("v"))


#: Verbs below this percentile of jieba's dictionary frequencies for verbs are rare enough to name a
#: domain (`domain_verbs`): 停车 (258), 排水 (740) and 溺水 (66) are in, 感染 (2,282) and 注意 out.
#: Chosen in the eleventh session, not tuned since. Measured (README, "Verbs that name a domain"):
#: leave one department out, reachable 90.0 / 90.6 / 90.6 % at the 90th / 95th / 99th; the 99th
#: lets 9 more off-topic suggestions through over the city messages.
RARE_VERB_PERCENTILE = 0.95


@lru_cache(maxsize=1)
def _jieba_dictionary() -> tuple[dict[str, str], frozenset[str]]:
    """The dictionary that ships with jieba: its part-of-speech tags (word -> tag), and its verbs of
    two characters or more that are rare in general text (`RARE_VERB_PERCENTILE`)."""
    import jieba

    path = os.path.join(os.path.dirname(jieba.__file__), "dict.txt")
    tags: dict[str, str] = {}
    verbs: list[tuple[str, int]] = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if len(parts := line.split()) != 3:
                continue
            word, frequency, tag = parts
            tags[word] = tag
            if tag in _VERB_TAGS:
                verbs.append((word, int(frequency)))
    frequencies = sorted(frequency for _word, frequency in verbs)
    ceiling = frequencies[int(RARE_VERB_PERCENTILE * len(frequencies))] if frequencies else 0
    return tags, frozenset(word for word, frequency in verbs if frequency < ceiling and len(word) >= 2)


def _jieba_tags() -> dict[str, str]:
    """Part-of-speech tags of the dictionary that ships with jieba (word -> tag)."""
    return _jieba_dictionary()[0]


def is_place_name(word: str) -> bool:
    return _jieba_tags().get(word) == "ns" or (len(word) >= 3 and word.endswith(_PLACE_SUFFIXES))


@lru_cache(maxsize=1)
def _lexicon_terms() -> frozenset[str]:
    """The user dictionary's words, and every word of a synonym group whose canonical (official)
    term is not tagged a verb/adjective/… (最低生活保障 → 低保 counts; 丢失 → 丢了 does not)."""
    lexicon = DEFAULT_LEXICON_DIR
    words = {fields[0] for fields in _fields(lexicon / "userdict.txt")}
    for group in _fields(lexicon / "synonyms.txt"):
        if _jieba_tags().get(group[0]) not in _NOT_A_THING:
            words.update(group)
    return frozenset(words)


def _fields(path: Path) -> list[list[str]]:
    if not path.exists():
        return []
    lines = (line.split("#", 1)[0].split() for line in path.read_text(encoding="utf-8").splitlines())
    return [fields for fields in lines if fields]


def names_a_thing(word: str) -> bool:
    """A word of the project's lexicon (user dictionary, synonyms: the township's services and
    official terms, whatever jieba tags them — it tags 低保 a verb), or not a word jieba's
    dictionary tags as a verb, adjective, adverb, pronoun, number, time or direction word;
    words jieba does not know (domain terms, new words) count as naming a thing. Never a word
    that says what the citizen does with the message (`SPEECH_ACT_WORDS`: 咨询, 投诉, 反映 …;
    jieba tags 咨询 a verbal noun)."""
    if word in SPEECH_ACT_WORDS:
        return False
    return word in _lexicon_terms() or _jieba_tags().get(word) not in _NOT_A_THING


def domain_verbs(vocabulary: Iterable[str]) -> frozenset[str]:
    """The verbs that name a domain of a knowledge base whose analysed words are `vocabulary`:
    rare verbs (`RARE_VERB_PERCENTILE`) that are the first two or three characters of a longer
    word of it that names a thing and is no place name (停车 of 停车场, 排水 of 排水管).

    Why the knowledge base's own words: a knowledge base that writes 停车场 and 停车位 is about
    parking, and a question about 停车 is about that; jieba's dictionary alone would let nearly
    every rare verb in (回复 → 回复函, 领取 → 领取证), whatever the knowledge base is about."""
    rare = _jieba_dictionary()[1]
    found: set[str] = set()
    for word in vocabulary:
        if len(word) < 3:
            continue
        heads = [head for head in (word[:2], word[:3]) if len(head) < len(word) and head in rare]
        if heads and names_a_thing(word) and not is_place_name(word):
            found.update(heads)
    return frozenset(found - SPEECH_ACT_WORDS)


def topic_words(terms: Iterable[str], generic: Collection[str], domain: Collection[str] = ()) -> list[str]:
    """The question's terms that name what it is about, in order, without repeats: not `generic`
    words nor words made of them (`knowledge.asks.made_of`: 多长时间 of 多长 and 时间); `domain`
    are the knowledge base's domain verbs (`domain_verbs`), topic words too."""
    return [
        t for t in dict.fromkeys(terms)
        if len(t) >= 2 and not made_of(t, frozenset(generic)) and not is_place_name(t)
        and (names_a_thing(t) or t in domain)
    ]


def split_compounds(terms: Sequence[str], generic: Collection[str]) -> list[str]:
    """Compounds the segmenter cut into single characters: two adjacent one-character terms of
    the question (雾霾 → 雾 / 霾), neither generic nor a place suffix (毛田村 → 田 / 村 is a
    place, not a topic)."""
    return [
        a + b for a, b in itertools.pairwise(terms)
        if _HAN_PAIR.match(a + b) and not {a, b} & _PLACE_CHARACTERS and a not in generic and b not in generic
    ]


def shares_topic(terms: Iterable[str], matched: Iterable[str], generic: Collection[str], text: str = "",
                 domain: Collection[str] = ()) -> bool:
    """Whether an entry matching `matched` of the question's `terms` shares a topic word (the
    knowledge base's `domain` verbs count, `topic_words`).

    With the entry's `text`, a compound the segmenter cut (`split_compounds`) counts too when
    the entry writes it as one word: 雾霾天出门 shares 雾霾 with 雾霾天气如何选择口罩, though
    jieba's dictionary has no 雾霾 and cuts it on both sides. Requiring the compound in the
    entry's own text keeps characters shared by chance (桥 / 村 of two village names) out.
    """
    terms, found = list(terms), set(matched)
    if not set(topic_words(terms, generic, domain)).isdisjoint(found):
        return True
    return bool(text) and any(pair in text for pair in split_compounds(terms, generic))


def shares_word(terms: Iterable[str], matched: Iterable[str], generic: Collection[str]) -> bool:
    """Whether an entry matching `matched` of the question's `terms` shares a word of two
    characters or more that is neither generic nor a place name — verbs and adjectives count
    (集中出租, 响应): weaker than `shares_topic`, for an entry shown with its own quoted sentence,
    which lets the citizen judge at once whether it is about their question."""
    return any(len(t) >= 2 and t not in generic and not is_place_name(t) for t in set(terms).intersection(matched))


def named_words(terms: Sequence[str], domain: Collection[str] = ()) -> list[str]:
    """What a short question names: its topic words (`topic_words`, with the knowledge base's
    `domain` verbs) or, when it names no thing ("离婚了算不算", "离职了能取吗"), its content words
    of two characters or more — for reading it against the entry or topic it follows."""
    return topic_words(terms, FOLLOW_UP_WORDS, domain) or [
        t for t in dict.fromkeys(terms) if not is_asking(t) and len(t) >= 2]
