"""Index build time, query latency and memory at 1k, 10k and 100k documents.

    python -m bench.retrieval [--shared DIR] [--quick]

The corpus is the shared FAQ bank replicated with variation: every copy of an entry gets a
different shuffled suffix of words drawn from the bank, so no two texts are identical and
the segmentation cache cannot cheat. The copies do share their clauses (the runs between
punctuation), which `TextProcessor.analyze_many` segments once per build: the cold figure
at 100k (~25-35 s) relies on that; a corpus with no clause in common costs what it did
before that reuse (~87 s at 100k on 2 cores). Per size it prints: cold build (nothing cached) and
rebuild with a warm segmentation cache; p50/p99 latency of the dev questions through
`Searcher.search` (analysis + index + decision) and through the index alone; the process RSS
and the index arrays' size; and rank-bm25's ``get_scores`` on the same analysed corpus in the
same run, with the speed ratio. ``--quick`` stops at 10k.
"""

from __future__ import annotations

import argparse
import gc
import logging
import random
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from bench.quality import BANK, DEV, default_shared, load_documents, read_jsonl, require_shared
from knowledge.document import Document
from knowledge.fielded import FieldedIndex
from knowledge.search import Searcher
from knowledge.segcache import MemorySegmentationCache, segmentation_key
from knowledge.text import TextProcessor

SIZES = (1_000, 10_000, 100_000)
TARGETS = "p50 <= 1 ms at 100k, >= 100x rank-bm25 there, 100k build <= 60 s"


def replicate(bank: Sequence[Document], n: int, seed: int = 7) -> list[Document]:
    """`n` documents: the bank's entries in turn, each copy with its own word suffix."""
    rng = random.Random(seed)
    # Suffix words: two-character pieces of the bank's questions (real, varied vocabulary).
    pool = sorted({d.title[i : i + 2] for d in bank for i in range(0, len(d.title) - 1, 2)})
    docs = []
    for i in range(n):
        src = bank[i % len(bank)]
        if i < len(bank):
            docs.append(Document(kind="faq", id=i, title=src.title, body=src.body))
            continue
        title_tail = "".join(rng.sample(pool, 2))
        body_tail = "，".join(rng.sample(pool, 6))
        docs.append(Document(kind="faq", id=i, title=f"{src.title}（{title_tail}）", body=f"{src.body}\n{body_tail}。"))
    return docs


def percentile_ms(samples: Sequence[float], q: float) -> float:
    return float(np.percentile(np.array(samples) * 1000, q))


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def index_mb(index: FieldedIndex) -> float:
    """Size of the index's numpy arrays (the Python dicts of the vocabularies come on top)."""
    arrays = [a for obj in (index, *index.fields.values()) for a in vars(obj).values() if isinstance(a, np.ndarray)]
    return sum(a.nbytes for a in arrays) / 2**20


def timed_queries(fn, queries: Sequence, rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        for q in queries:
            started = time.perf_counter()
            fn(q)
            samples.append(time.perf_counter() - started)
    return samples


def bench_size(
    n: int, bank: list[Document], queries: list[str], processor: TextProcessor, rank_bm25_queries: int
) -> dict[str, float]:
    from rank_bm25 import BM25Okapi

    docs = replicate(bank, n)
    gc.collect()
    cache = MemorySegmentationCache()
    started = time.perf_counter()
    index = FieldedIndex(docs, processor, cache=cache)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    index = FieldedIndex(docs, processor, cache=cache)
    warm = time.perf_counter() - started
    assert index.segmented == 0
    searcher = Searcher(index, processor)
    analysed = [processor.analyze(q) for q in queries]
    rounds = 5 if n <= 10_000 else 3
    for q in queries[:20]:  # warm up per-thread buffers and caches
        searcher.search(q)
    end_to_end = timed_queries(searcher.search, queries, rounds)
    index_only = timed_queries(lambda w: index.search(w, 10), analysed, rounds)
    text_field = index.fields["text"]
    ours_text = timed_queries(lambda w: text_field.top_k(list(dict.fromkeys(w)), 10), analysed, rounds)
    rss = rss_mb()

    corpus = list(_text_corpus(processor, cache, docs))
    started = time.perf_counter()
    okapi = BM25Okapi(corpus)
    okapi_build = time.perf_counter() - started
    del corpus
    subset = [list(dict.fromkeys(w)) for w in analysed[:rank_bm25_queries]]
    theirs = timed_queries(okapi.get_scores, subset, 1)
    check = subset[0]  # same scores on the real corpus, not only in the unit test
    assert np.allclose(okapi.get_scores(check), text_field.get_scores(check), atol=1e-9)
    del okapi
    gc.collect()
    return {
        "n": n,
        "cold": cold,
        "warm": warm,
        "segmented": len(cache),
        "p50": percentile_ms(end_to_end, 50),
        "p99": percentile_ms(end_to_end, 99),
        "idx_p50": percentile_ms(index_only, 50),
        "idx_p99": percentile_ms(index_only, 99),
        "text_p50": percentile_ms(ours_text, 50),
        "okapi_p50": percentile_ms(theirs, 50),
        "okapi_build": okapi_build,
        "rss": rss,
        "index_mb": index_mb(index),
    }


def _text_corpus(
    processor: TextProcessor, cache: MemorySegmentationCache, docs: Sequence[Document]
) -> Iterator[list[str]]:
    """The `text` field's terms per document, rebuilt from the warm cache for rank-bm25."""
    version = processor.lexicon_version
    for doc in docs:
        terms: list[str] = []
        for part in (doc.title, *doc.similar, *doc.keywords, doc.body):
            if part:
                terms.extend(cache.get(segmentation_key(version, part)) or ())
        yield terms


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.retrieval", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shared", type=Path, default=default_shared())
    parser.add_argument("--quick", action="store_true", help="1k and 10k only")
    args = parser.parse_args(argv)
    require_shared(args.shared, BANK, DEV)
    logging.getLogger("jieba").setLevel(logging.WARNING)

    bank = load_documents(args.shared / BANK)
    queries = [row["query"] for row in read_jsonl(args.shared / DEV)]
    started = time.perf_counter()
    processor = TextProcessor()
    print(f"TextProcessor start-up {time.perf_counter() - started:.2f} s; {len(queries)} dev questions")
    sizes = SIZES[:2] if args.quick else SIZES
    print(
        f"\n{'docs':>7} {'cold s':>7} {'warm s':>6} │ {'search p50/p99 ms':>17} "
        f"{'index p50/p99 ms':>17} │ {'RSS MB':>7} {'index MB':>8} │ "
        f"{'rank-bm25 build s/query ms':>26} {'text-field ms':>13} {'speed-up':>8} {'vs search':>9}"
    )
    for n in sizes:
        r = bench_size(n, bank, queries, processor, rank_bm25_queries=170 if n <= 10_000 else 50)
        print(
            f"{n:>7} {r['cold']:>7.1f} {r['warm']:>6.1f} │ "
            f"{r['p50']:>8.3f}/{r['p99']:<8.3f} {r['idx_p50']:>8.3f}/{r['idx_p99']:<8.3f} │ "
            f"{r['rss']:>7.0f} {r['index_mb']:>8.1f} │ {r['okapi_build']:>14.1f}/{r['okapi_p50']:<11.2f} "
            f"{r['text_p50']:>13.3f} {r['okapi_p50'] / r['text_p50']:>7.0f}x {r['okapi_p50'] / r['p50']:>8.0f}x",
            flush=True,
        )
    print(
        "\nsearch = Searcher.search (analysis + 3 fields + decision); index = FieldedIndex."
        "search on analysed words;\ntext-field = our BM25.top_k on the same single field "
        "rank-bm25 scores (identical scores, checked); speed-up = rank-bm25 get_scores p50 / text-field p50;"
        "\nvs search = rank-bm25 get_scores p50 / our whole Searcher.search p50 (3 fields, analysis, decision)."
        f"\nTargets: {TARGETS}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
