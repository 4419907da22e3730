"""The knowledge base: disclosure items and FAQ entries, imports, text processing and search.

Nothing here knows about Flask or WeChat; the `bot` package depends on this one, never the
other way round.
"""
