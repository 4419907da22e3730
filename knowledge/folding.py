"""Folding the many ways of typing one thing into one, and cleaning stored text for display.

`fold` (NFKC, traditional → simplified, lower case, one space) is what `knowledge.text`
normalises with before segmenting, and what the FAQ identity key and the quote chooser apply to
text directly; it needs OpenCC but not jieba. `strip_controls` keeps control and bidi characters
out of everything staff read.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator

import opencc

_WHITESPACE = re.compile(r"\s+")
# OpenCC splits on these before matching phrases, so a piece without a convertible character
# converts to itself; we split the same way to skip the (slow, pure Python) conversion.
_OPENCC_SPLIT = re.compile(
    r"(\s+|-|,|\.|\?|!|\*|　|，|。|、|；|：|？|！|…|“|”|‘|’|『|』|「|」|﹁|﹂|—|－|（|）|《|》|〈|〉"
    r"|～|．|／|＼|︒|︑|︔|︓|︿|﹀|︹|︺|︙|︐|［|﹇|］|﹈|︕|︖|︰|︳|︴|︽|︾|︵|︶|｛|︷|｝|︸|﹃|﹄"
    r"|【|︻|】|︼)"
)


class _Simplifier:
    """Traditional → simplified conversion that only pays OpenCC's cost where needed.

    OpenCC's pure-Python converter costs about 2 µs per character, which would dominate
    indexing; almost all of our text is already simplified. We precompute the characters
    that can change under t2s (directly, or as the changed part of a phrase rule) and only
    convert the separator-delimited pieces containing one of them — the result is identical
    to converting everything.
    """

    def __init__(self) -> None:
        self._cc = opencc.OpenCC("t2s")
        dictionaries = list(_flatten(self._cc._dict_chain_data))
        triggers: set[str] = set()
        for _max_len, _min_len, mapping in dictionaries:
            for key, value in mapping.items():
                if len(key) == 1 and value.split(" ")[0] != key:
                    triggers.add(key)
        for _max_len, _min_len, mapping in dictionaries:
            for key, value in mapping.items():
                if len(key) > 1 and key != value and triggers.isdisjoint(key):
                    triggers.update(k for k, v in zip(key, value, strict=False) if k != v)
        self._triggers = frozenset(triggers)

    def __call__(self, text: str) -> str:
        if self._triggers.isdisjoint(text):
            return text
        pieces = _OPENCC_SPLIT.split(text)
        for i in range(0, len(pieces), 2):
            if not self._triggers.isdisjoint(pieces[i]):
                pieces[i] = self._cc.convert(pieces[i])
        return "".join(pieces)


def _flatten(chain: object) -> Iterator[tuple[int, int, dict[str, str]]]:
    if isinstance(chain, list):
        for item in chain:
            yield from _flatten(item)
    else:
        yield chain  # type: ignore[misc]


_simplifier_lock = threading.Lock()
_simplifier: _Simplifier | None = None


def simplifier() -> _Simplifier:
    """One converter per process: its dictionaries are read-only and take ~0.3 s to load."""
    global _simplifier
    with _simplifier_lock:
        if _simplifier is None:
            _simplifier = _Simplifier()
        return _simplifier


# Characters that must never reach a terminal, a spreadsheet or a web page from stored text:
# C0 controls but tab and newline (openpyxl refuses \x0b), DEL, C1 controls (some terminals
# act on them) and the bidirectional overrides and isolates that reorder what staff read.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def strip_controls(text: str) -> str:
    """`text` without control and bidi-override characters (tab, newline and CR kept)."""
    return _CONTROLS.sub("", text) if text else text


def fold(text: str) -> str:
    """Full-width → half-width (NFKC), traditional → simplified, lower case, one space.

    A module function without jieba, so that the FAQ identity key
    (`knowledge.editor.question_key`) folds text exactly as the search does (`TextProcessor.normalize`)
    without loading jieba's dictionary.
    """
    text = simplifier()(unicodedata.normalize("NFKC", text))
    return _WHITESPACE.sub(" ", text.lower()).strip()
