"""A built index as files: numpy arrays every process maps read-only, and its documents.

One folder per build (`knowledge.shared` names, locks and publishes it). Everything a search
reads is an ``.npy`` array opened with ``mmap_mode="r"``: the pages live once in the
machine's page cache and every worker maps the same ones, so memory is paid once per machine,
and a worker opens a build in milliseconds instead of building it. What stays per process is
small: the vocabularies as dicts (word → id, read from a JSON list), a few Python lists of
bounds for fast slicing, and documents decoded one at a time on access (`DocumentTable`).

Files of a build (``p0_``/``p1_`` are the `KindIndex` parts: FAQ only, whole knowledge base):
``manifest.json`` (written last: a folder without it was never finished), ``docs.*`` (the
index's documents: FAQ entries and item passages), ``records.*`` (whole items, by key),
``stamps_*`` (`updated_at` of every entry in the build, to find what changed since), ``assoc_*``
(the term associations learned from the build's FAQ entries, `knowledge.associations`), and per
part its fields' arrays, vocabularies and answer groups (``groups``: entries with one answer text
share a number, `knowledge.document.answer_group`).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.associations import MappedAssociations, TermAssociations
from knowledge.bm25 import BM25
from knowledge.document import Document, DocumentSequence
from knowledge.fielded import FieldedIndex
from knowledge.kinds import KindIndex
from knowledge.store import NOT_READ

# Bump when what is saved or how it is scored changes: old builds are then not reused.
FORMAT = 3  # 2: term associations, 3: answer groups
KINDS = ("faq", "item")
FIELD_NAMES = ("text", "title_chars", "body_chars")
# Decoded documents the index's `DocumentTable` keeps (`knowledge.served` passes it; the table of
# whole items, read only for a chosen number, keeps the default 1,024). When a message's deeper
# search (`AnswerPolicy._distinct_answers`) still read its 150 hits, 1,024 thrashed at 20,810
# entries: 6.8 → 4.7 ms per message (`bench.message_cost --size 20810`). Since repeated answers are
# dropped in the index (`Searcher.search_distinct`) a message reads the page it shows and the best
# hit's copies; the popular pages stay decoded. A decoded bank entry costs ~1.1 KB (tracemalloc),
# so the whole 20,810-entry bank cached is ~22 MB per worker process; this bound caps it near 35 MB.
DOCUMENT_CACHE = 32_768


# -- documents -----------------------------------------------------------------------------

def _encode(doc: Document) -> list[Any]:
    return [doc.kind, doc.id, doc.title, doc.body, doc.url, list(doc.similar), list(doc.keywords), doc.category,
            doc.published.isoformat() if doc.published else None, doc.doc_number, doc.index_number,
            doc.publisher, doc.status, doc.valid_until.isoformat() if doc.valid_until else None, doc.part]


def _decode(row: list[Any]) -> Document:
    (kind, id_, title, body, url, similar, keywords, category, published, doc_number, index_number,
     publisher, status, valid_until, part) = row
    return Document(kind=kind, id=id_, title=title, body=body, url=url, similar=tuple(similar),
                    keywords=tuple(keywords), category=category,
                    published=datetime.date.fromisoformat(published) if published else None,
                    doc_number=doc_number, index_number=index_number, publisher=publisher, status=status,
                    valid_until=datetime.date.fromisoformat(valid_until) if valid_until else None, part=part)


def _decode_at(blob: np.ndarray, offsets: np.ndarray, i: int) -> Document:
    lo, hi = int(offsets[i]), int(offsets[i + 1])
    return _decode(json.loads(bytes(blob[lo:hi])))


def save_documents(folder: Path, name: str, docs: Sequence[Document]) -> None:
    blobs = [json.dumps(_encode(d), ensure_ascii=False).encode() for d in docs]
    offsets = np.zeros(len(blobs) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in blobs], out=offsets[1:])
    _save(folder, f"{name}_blob", np.frombuffer(b"".join(blobs), dtype=np.uint8))
    _save(folder, f"{name}_offsets", offsets)
    _save(folder, f"{name}_kind", np.array([KINDS.index(d.kind) for d in docs], dtype=np.uint8))
    _save(folder, f"{name}_id", np.array([d.id for d in docs], dtype=np.int64))


class DocumentTable(DocumentSequence):
    """Documents of a build, decoded on access from the mapped file (up to `DOCUMENT_CACHE` recent ones kept)."""

    def __init__(self, folder: Path, name: str, limit: int | None = None, cache: int = 1024) -> None:
        self.folder, self.name = folder, name
        self._blob = _load(folder, f"{name}_blob")
        self._offsets = _load(folder, f"{name}_offsets")
        self.kinds = _load(folder, f"{name}_kind")
        self.ids = _load(folder, f"{name}_id")
        self._n = len(self.ids) if limit is None else limit
        # A function of the arrays, not a bound method: no cycle through `self`, so a replaced
        # build's decoded documents are freed with its table, not at the next cyclic collection.
        self._get = lru_cache(maxsize=cache)(partial(_decode_at, self._blob, self._offsets))

    def head(self, n: int) -> DocumentTable:
        """The first `n` documents (the FAQ part of a `KindIndex`), sharing the mapped files."""
        view = DocumentTable.__new__(DocumentTable)
        view.__dict__.update(self.__dict__)
        view._n = n
        return view

    def __len__(self) -> int:
        return self._n

    def _at(self, i: int) -> Document:
        return self._get(i)

    def key_at(self, i: int) -> str:
        return f"{KINDS[int(self.kinds[i])]}:{int(self.ids[i])}"

    def positions_of(self, keys: Iterable[str]) -> list[int]:
        """Every position of these keys (an item has one per passage), without decoding."""
        wanted: dict[int, set[int]] = {}
        for key in keys:
            kind, _, raw = key.partition(":")
            wanted.setdefault(KINDS.index(kind), set()).add(int(raw))
        found: list[int] = []
        kinds, ids = self.kinds[: self._n], self.ids[: self._n]
        for code, id_set in wanted.items():
            mask = (kinds == code) & np.isin(ids, np.fromiter(id_set, dtype=np.int64))
            found += np.flatnonzero(mask).tolist()
        return sorted(found)


class Records(Mapping[str, Document]):
    """The served documents by key (`faq:12`): FAQ entries from the index's table, whole items
    from their own table (the index holds an item's passages)."""

    def __init__(self, faq: DocumentTable, items: DocumentTable) -> None:
        self._tables = {"faq": faq, "item": items}

    def __getitem__(self, key: str) -> Document:
        kind, _, raw = key.partition(":")
        table = self._tables.get(kind)
        if table is None or not raw.isdigit():
            raise KeyError(key)
        ids = table.ids[: len(table)]
        at = int(np.searchsorted(ids, int(raw)))
        if at >= len(ids) or int(ids[at]) != int(raw):
            raise KeyError(key)
        return table[at]

    def __len__(self) -> int:
        return sum(len(t) for t in self._tables.values())

    def __iter__(self) -> Iterator[str]:
        for kind, table in self._tables.items():
            for id_ in table.ids[: len(table)].tolist():
                yield f"{kind}:{id_}"


class Overlay(Mapping[str, Document]):
    """A build's records with a delta's changes: new versions, and keys gone since the build."""

    def __init__(self, base: Mapping[str, Document], changed: Mapping[str, Document], removed: set[str]) -> None:
        self._base, self._changed, self._removed = base, changed, removed
        self._added = [k for k in changed if k not in base]

    @property
    def changed(self) -> Mapping[str, Document]:
        """The delta's documents (new versions and additions)."""
        return self._changed

    @property
    def removed(self) -> set[str]:
        """Keys of the build no longer served."""
        return self._removed

    def __getitem__(self, key: str) -> Document:
        if key in self._changed:
            return self._changed[key]
        if key in self._removed:
            raise KeyError(key)
        return self._base[key]

    def __len__(self) -> int:
        return len(self._base) - len(self._removed) + len(self._added)

    def __iter__(self) -> Iterator[str]:
        yield from (k for k in self._base if k not in self._removed)
        yield from self._added


# -- indexes -------------------------------------------------------------------------------

def save_index(folder: Path, index: KindIndex) -> dict[str, Any]:
    """Write the parts' arrays; returns what the manifest records about them."""
    parts = []
    for n, part in enumerate(index.parts):
        prefix = f"p{n}"
        words = list(part._word_key)
        chars = sorted(part._char_key, key=part._char_key.__getitem__)
        fields: dict[str, Any] = {}
        for name, bm25 in part.fields.items():
            for attr in BM25.ARRAYS:
                _save(folder, f"{prefix}_{name}_{attr}", np.asarray(getattr(bm25, attr)))
            fields[name] = {
                "scalars": {s: getattr(bm25, s) for s in BM25.SCALARS},
                "vocab": sorted(bm25.vocab, key=bm25.vocab.__getitem__),
            }
        for item, array in (("title_terms", part._title_terms), ("title_bounds", np.asarray(part._title_bounds)),
                            ("inv_score", part._inv_score), ("inv_doc", part._inv_doc),
                            ("inv_bounds", np.asarray(part._inv_bounds, dtype=np.int64)),
                            ("key_max", np.asarray(part._key_max, dtype=np.float64)), ("groups", part.groups)):
            _save(folder, f"{prefix}_{item}", np.asarray(array))
        (folder / f"{prefix}_vocab.json").write_text(
            json.dumps({"words": words, "chars": chars, "fields": fields}, ensure_ascii=False), encoding="utf-8")
        parts.append({"prefix": prefix, "documents": len(part.documents), "weights": part.weights})
    return {"parts": parts, "faq": index.n_faq, "lexicon_version": index.lexicon_version}


def load_index(folder: Path, manifest: Mapping[str, Any], table: DocumentTable) -> KindIndex:
    parts = []
    for meta in manifest["parts"]:
        prefix = meta["prefix"]
        vocab = json.loads((folder / f"{prefix}_vocab.json").read_text(encoding="utf-8"))
        word_key = {w: i for i, w in enumerate(vocab["words"])}
        char_key = {c: len(word_key) + i for i, c in enumerate(vocab["chars"])}
        fields = {
            name: BM25.restore(
                {t: i for i, t in enumerate(saved["vocab"])},
                {a: _load(folder, f"{prefix}_{name}_{a}") for a in BM25.ARRAYS},
                saved["scalars"],
            )
            for name, saved in vocab["fields"].items()
        }
        state: dict[str, Any] = {
            "lexicon_version": manifest["lexicon_version"], "weights": meta["weights"], "fields": fields,
            "word_key": word_key, "char_key": char_key,
            **{name: _load(folder, f"{prefix}_{name}")
               for name in ("title_terms", "title_bounds", "inv_score", "inv_doc", "inv_bounds", "key_max",
                            "groups")},
        }
        documents = table if meta["documents"] == len(table) else table.head(meta["documents"])
        parts.append(FieldedIndex.restore(documents, state))
    return KindIndex.restore(manifest["lexicon_version"], parts, manifest["faq"], table)


# -- term associations (knowledge.associations) ---------------------------------------------

def save_associations(folder: Path, model: TermAssociations) -> int:
    """Write the model's arrays (`MappedAssociations`); returns how many words have partners."""
    mapped = MappedAssociations.from_model(model)
    for name in MappedAssociations.ARRAYS:
        _save(folder, f"assoc_{name}", getattr(mapped, name))
    return len(mapped)


def load_associations(folder: Path) -> MappedAssociations:
    return MappedAssociations(*(_load(folder, f"assoc_{name}") for name in MappedAssociations.ARRAYS))


# -- stamps --------------------------------------------------------------------------------

Stamps = Mapping[str, tuple[np.ndarray, np.ndarray]]  # kind → (ids ascending, updated_at as µs)


def save_stamps(folder: Path, stamps: Stamps) -> None:
    for kind, (ids, at) in stamps.items():
        _save(folder, f"stamps_{kind}_id", ids)
        _save(folder, f"stamps_{kind}_at", at)


def load_stamps(folder: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {kind: (_load(folder, f"stamps_{kind}_id"), _load(folder, f"stamps_{kind}_at")) for kind in KINDS}


def changes(built: Stamps, live: Stamps) -> tuple[dict[str, list[int]], set[str]]:
    """What changed between a build and the store: (ids new or changed per kind, keys gone).

    A live stamp `NOT_READ` (a row older than the build, `Store.live_stamps(since=…)`) counts as
    unchanged when the build has the row."""
    changed: dict[str, list[int]] = {}
    removed: set[str] = set()
    for kind in KINDS:
        old_ids, old_at = built[kind]
        new_ids, new_at = live[kind]
        at = np.minimum(np.searchsorted(old_ids, new_ids), max(len(old_ids) - 1, 0))
        if len(old_ids):
            same = (old_ids[at] == new_ids) & ((old_at[at] == new_at) | (new_at == NOT_READ))
        else:
            same = np.zeros(len(new_ids), bool)
        changed[kind] = new_ids[~same].tolist()
        gone = old_ids[~np.isin(old_ids, new_ids)]
        removed.update(f"{kind}:{i}" for i in gone.tolist())
    return changed, removed


def _save(folder: Path, name: str, array: np.ndarray) -> None:
    np.save(folder / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)


def _load(folder: Path, name: str) -> np.ndarray:
    """The array mapped read-only (an empty one cannot be mapped: it is read, and costs nothing).

    A plain ndarray view of the `np.memmap`, not the memmap itself: every slice of a memmap is
    another memmap, whose construction costs ~8 µs, and a search slices a few hundred postings
    lists (0.3-0.6 ms of a message's search at 20,810 entries, `bench.message_cost`)."""
    path = folder / f"{name}.npy"
    try:
        array: np.ndarray = np.asarray(np.load(path, mmap_mode="r", allow_pickle=False))
    except ValueError:
        array = np.load(path, allow_pickle=False)
        array.flags.writeable = False
    return array
