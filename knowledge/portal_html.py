"""Disclosure items from portal pages saved in the browser (HTML), parsed with lxml.

Two kinds of page:

* an **item page** — title, the metadata block (索引号, 文号, 发布日期, 发布机构, 公开时限, 所属分类,
  关键词; usually a table, sometimes a list of divs), the body, and all the site's furniture
  (header, menus, breadcrumb, share and print buttons, footer, scripts). Navigation elements are
  dropped from the tree; the rest is rendered as text lines (one per block element, the cells
  of a table row on one line) and read by `knowledge.portal.parse_portal_text`, the same reader
  as for a page copied as text, so both forms of one page give the same item. The title comes
  from the page's own metadata (`<meta name="ArticleTitle">`) or its `<h1>` when present.
* a **信息公开目录 list page** — rows of links to items, each with its date. Every row becomes an
  item with its title, address and 发布日期 (the body is on the item's own page).

Regular expressions are used only on text, never on the HTML itself.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urljoin

import lxml.html
from lxml import etree

from knowledge.editor import ItemData
from knowledge.portal import PortalParseError, metadata_pairs, parse_portal_text

# Elements that are never content.
_DROP_TAGS = ("script", "style", "noscript", "nav", "form", "iframe", "select", "button", "template", "svg",
              "object")
# class/id words of navigation furniture on portal templates.
_CLUTTER = re.compile(r"(?:^|[-_\s])(?:nav|navbar|menu|footer|topbar|sidebar|share|print|toolbar|"
                      r"search|login|copyright|friendlink)(?:$|[-_\s\d])", re.IGNORECASE)
_BLOCKS = ("p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section", "article",
           "dd", "dt", "ul", "ol", "blockquote", "pre", "hr")
_CELLS = ("td", "th")
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
LIST_MIN_ROWS = 3  # a page with fewer dated links is not a list
MIN_BODY_CHARS = 40  # paragraphs shorter than this in all are no body (a list page, an index)
_TITLE_META = ("ArticleTitle", "title", "og:title")


def _tree(html: str | bytes) -> etree._Element:
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        raise PortalParseError("无法解析网页文件：内容不是有效的 HTML") from exc


def _meta(tree: etree._Element, *names: str) -> str | None:
    for name in names:
        for element in tree.xpath("//meta[@name=$n or @property=$n]", n=name):
            content = (element.get("content") or "").strip()
            if content:
                return content
    return None


def _strip_clutter(tree: etree._Element) -> None:
    for element in tree.xpath("|".join(f"//{tag}" for tag in _DROP_TAGS)):
        element.drop_tree()
    # A page's own <header>/<footer> is site furniture; inside an <article> it may hold the title.
    for element in tree.xpath("//header[not(ancestor::article or ancestor::main)]"
                              " | //footer[not(ancestor::article or ancestor::main)]"):
        element.drop_tree()
    for element in tree.xpath("//*[@class or @id or @role]"):
        marks = f"{element.get('class', '')} {element.get('id', '')}"
        if (element.get("role") == "navigation" or _CLUTTER.search(marks)) and element.getparent() is not None:
            element.drop_tree()


def _text_lines(element: etree._Element) -> list[str]:
    """The element's text, one line per block element, a table row's cells on one line."""
    for block in element.iter(*_BLOCKS):
        block.tail = "\n" + (block.tail or "")
        if block.tag != "br":
            block.text = "\n" + (block.text or "")
    for cell in element.iter(*_CELLS):
        cell.tail = " " + (cell.tail or "")
    text = element.text_content().replace("\xa0", " ")
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def _title(tree: etree._Element) -> str | None:
    found = _meta(tree, *_TITLE_META)
    if found:
        return found
    for h1 in tree.xpath("//h1"):
        text = " ".join(h1.text_content().split())
        if text:
            return text
    return None


def _content(tree: etree._Element) -> etree._Element | None:
    """The element holding the body: the one whose own paragraphs carry the most text."""
    best, best_length = None, 0
    for element in tree.iter("div", "td", "article", "section", "main"):
        length = sum(len(" ".join(p.text_content().split())) for p in element.findall("p"))
        length += len((element.text or "").strip())
        if length > best_length:
            best, best_length = element, length
    return best if best_length >= MIN_BODY_CHARS else None


def parse_portal_html(html: str | bytes, *, url: str | None = None) -> ItemData:
    """An item page → `ItemData`; `url` (e.g. from `--url`) wins over the page's canonical link.

    Raises `PortalParseError` when the page has no title.
    """
    tree = _tree(html)
    page_url = url or _canonical(tree)
    title = _title(tree)
    _strip_clutter(tree)
    root = tree.find("body")
    root = tree if root is None else root
    content = _content(root)
    if content is None:  # no paragraphs: the page text as a whole, read like a copied page
        lines = _text_lines(root)
        if title:
            lines = [title, *(line for line in lines if line != title)]
        return parse_portal_text("\n".join(lines), url=page_url)
    body = _text_lines(content)
    content.drop_tree()
    metadata = [line for line in _text_lines(root) if metadata_pairs(unicodedata.normalize("NFKC", line))]
    if not title:
        raise PortalParseError("找不到标题：网页中没有 <h1> 标题或 ArticleTitle 信息")
    return parse_portal_text("\n".join([f"标题：{title}", *metadata, *body]), url=page_url)


def _canonical(tree: etree._Element) -> str | None:
    for href in tree.xpath("//link[@rel='canonical']/@href | //meta[@name='url']/@content"):
        if str(href).startswith(("http://", "https://")):
            return str(href)
    return None


def _base(tree: etree._Element, url: str | None) -> str | None:
    base = tree.xpath("//base/@href")
    return urljoin(url or "", str(base[0])) if base else url or _canonical(tree)


def list_items(html: str | bytes, *, url: str | None = None) -> list[ItemData]:
    """The items of a 信息公开目录 list page: rows holding one link and one date.

    Relative links are resolved against `url` (or the page's <base>/canonical address); an item
    whose address cannot be made absolute is kept without one. Returns [] when the page has
    fewer than `LIST_MIN_ROWS` such rows (it is then not a list page).
    """
    tree = _tree(html)
    base = _base(tree, url)
    _strip_clutter(tree)
    items: list[ItemData] = []
    seen: set[str] = set()
    for row in tree.xpath("//li | //tr | //dl"):
        links = [a for a in row.xpath(".//a[@href]") if " ".join(a.text_content().split()) or a.get("title")]
        if len(links) != 1:
            continue
        date = _DATE.search(" ".join(row.text_content().split()))
        if not date:
            continue
        link = links[0]
        title = (link.get("title") or " ".join(link.text_content().split())).strip()
        href = urljoin(base or "", link.get("href", "").strip())
        key = href or title
        if not title or key in seen:
            continue
        seen.add(key)
        published = "-".join(date.groups())
        items.append(ItemData(title=title, url=href if href.startswith(("http://", "https://")) else None,
                              published=published))
    return items if len(items) >= LIST_MIN_ROWS else []


def read_portal_html(html: str | bytes, *, url: str | None = None) -> list[ItemData]:
    """Every item a saved portal page holds: the one item it shows, or its list rows.

    An item page may end with a few dated links (相关信息); it is still one item when it has
    paragraphs of body text, so the list reading is used only for pages without them.
    """
    tree = _tree(html)
    _strip_clutter(tree)
    has_article = _content(tree) is not None
    rows = [] if has_article else list_items(html, url=url)
    if rows:
        return rows
    try:
        return [parse_portal_html(html, url=url)]
    except PortalParseError:
        raise PortalParseError("这个网页既不是信息页面（找不到标题和正文），也不是信息公开目录列表") from None
