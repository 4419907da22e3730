"""The segmentation cache: analysed terms of each text kept between index builds.

Segmenting every title and body with jieba is most of an index build; the terms of a text
only change when the text or the lexicon does, so they are kept under a key of both
(`segmentation_key`) — in the database in production (`knowledge.segmemo.DbSegmentCache`), in a
dict for tests and benchmarks — and a rebuild after a staff edit segments only what changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Protocol

from knowledge.text import TextProcessor


class SegmentationCache(Protocol):
    """Where analysed terms of a text are kept between index builds (e.g. a DB table).

    Keys come from `segmentation_key`, so a lexicon change makes every old entry unreachable.
    """

    def get(self, key: str) -> Sequence[str] | None: ...

    def put(self, key: str, terms: list[str]) -> None: ...


class MemorySegmentationCache:
    """A dict-backed `SegmentationCache`, for tests, benchmarks and single-process use."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[str, ...]] = {}

    def get(self, key: str) -> Sequence[str] | None:
        return self._data.get(key)

    def put(self, key: str, terms: list[str]) -> None:
        self._data[key] = tuple(terms)

    def __len__(self) -> int:
        return len(self._data)


def segmentation_key(lexicon_version: str, text: str) -> str:
    """sha1 of lexicon version and text: same text and same lexicon give the same terms."""
    return hashlib.sha1(f"{lexicon_version}\x00{text}".encode()).hexdigest()


def analyze_all(
    texts: Iterable[str], processor: TextProcessor, cache: SegmentationCache | None
) -> tuple[dict[str, list[str]], int]:
    """Terms of each distinct text, from the cache where possible, the rest analysed once.

    Returns the terms by text and how many texts had to be analysed.
    """
    result: dict[str, list[str]] = {}
    keys: dict[str, str] = {}
    for text in texts:
        if text in result or text in keys:
            continue
        if not text:
            result[text] = []
            continue
        key = segmentation_key(processor.lexicon_version, text) if cache is not None else ""
        found = cache.get(key) if cache is not None else None
        if found is not None:
            result[text] = list(found)
        else:
            keys[text] = key
    missing = list(keys)
    for text, analysed in zip(missing, processor.analyze_many(missing), strict=True):
        result[text] = analysed
        if cache is not None:
            cache.put(keys[text], analysed)
    return result, len(missing)
