"""The full text of an entry on a phone page, so a long answer is never cut silently.

WeChat text replies are limited to 2,048 bytes; a staff answer or an item body can be far
longer (the bank has a 14,447-character answer). When a reply does not fit, `bot.compose`
ends it with "查看全文" and a link to ``/kb/<kind>-<id>`` on this bot (needs
`PUBLIC_BASE_URL`, the address citizens reach the bot at); without that setting the reply says
that only part is shown. The page shows the title, the full text, 发布日期/文号/发布机构 for
items and the source link; it needs no login and serves only what the loaded knowledge base
holds (enabled FAQ entries and published items), so a disabled entry is a 404.
"""

from __future__ import annotations

import re

from flask import Blueprint, Flask, abort, render_template

from bot.runtime import get_runtime
from knowledge.document import Document

bp = Blueprint("fulltext", __name__, template_folder="templates")
_KEY = re.compile(r"^(faq|item)-([0-9]{1,12})$")


def page_path(doc: Document) -> str:
    return f"/kb/{doc.kind}-{doc.id}"


def page_url(base_url: str, doc: Document) -> str | None:
    """The page's public address, or None when no public base URL is configured."""
    base = base_url.strip().rstrip("/")
    return f"{base}{page_path(doc)}" if base else None


@bp.get("/kb/<key>")
def entry_page(key: str) -> str:
    match = _KEY.match(key)
    if not match:
        abort(404)
    doc = get_runtime().kb.document(f"{match.group(1)}:{match.group(2)}")
    if doc is None:
        abort(404)
    return render_template("kb_entry.html", doc=doc, paragraphs=[p for p in doc.body.splitlines() if p.strip()])


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
