"""Parse the text of a county-portal disclosure page into an `ItemData`.

Staff copy a page from the 政府信息公开 portal (or save it as text) and import it. Such text
has a fixed shape: site slogans, a breadcrumb (您当前浏览位置:首页>…>所属分类), the title, a
metadata block whose labels are often spread out with spaces to align them (文 号, 关 键 词),
the body, a sign-off (issuing body, date, (此件公开发布)) and page chrome (扫一扫在手机打开当前页,
附件下载). We keep the facts and drop the furniture.
"""

from __future__ import annotations

import re
import unicodedata

from knowledge.editor import ItemData

# Metadata labels and the ItemData field each one fills; 链接/网址 lets staff add the page address.
_LABELS = {
    "索引号": "index_number",
    "文号": "doc_number",
    "发文字号": "doc_number",
    "发布日期": "published",
    "成文日期": "written",
    "发布机构": "publisher",
    "发文机关": "publisher",
    "公开时限": "disclosure_period",
    "所属分类": "category",
    "主题分类": "category",
    "关键词": "keywords",
    "标题": "title",
    "名称": "title",
    "链接": "url",
    "网址": "url",
    "原文链接": "url",
}


def _spaced(label: str) -> str:
    return r"[ \t\u3000]*".join(re.escape(ch) for ch in label)


# Longest labels first, so 原文链接 wins over 链接.
_LABEL_RE = re.compile(
    r"(?:^|(?<=\s))(" + "|".join(_spaced(k) for k in sorted(_LABELS, key=len, reverse=True)) + r")[ \t\u3000]*[:：]?"
)
_URL_LINE = re.compile(r"^(?:原文)?(?:链接|网址)\s*[:：]?\s*(https?://\S+)$", re.IGNORECASE)
_BREADCRUMB = re.compile(r"^(?:您?当前的?(?:浏览)?位置|所在位置)\s*[:：]")
_CHROME = re.compile(
    r"^(?:扫一扫在手机打开当前页|附件下载|附件[:：]?$|【?打印本页】?|【?关闭窗口】?|上一篇|下一篇|相关链接|分享到"
    r"|字号|【\s*[大中小]\s*】|访问量|浏览次数)"
)
_END_OF_PAGE = re.compile(r"^(?:扫一扫在手机打开当前页|附件下载|上一篇|下一篇|相关链接)")
_SIGN_OFF = re.compile(
    r"^(?:[（(]此件[^）)]*[）)]|\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}-\d{1,2}-\d{1,2}"
    r"|[\u4e00-\u9fff]{2,30}(?:人民政府|办公室|委员会|局|镇|街道办事处|党委))$"
)


class PortalParseError(ValueError):
    """The text does not look like a portal page; the message says why, in Chinese."""


def metadata_pairs(line: str) -> list[tuple[str, str]] | None:
    """The (field, value) pairs of a metadata line, or None if the line does not start with a label."""
    matches = list(_LABEL_RE.finditer(line))
    if not matches or matches[0].start() != 0:
        return None
    pairs = []
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        label = re.sub(r"\s+", "", match.group(1))
        value = line[match.end(): following.start() if following else len(line)].strip()
        pairs.append((_LABELS[label], value))
    return pairs


def parse_portal_text(text: str, *, url: str | None = None) -> ItemData:
    """Turn portal page text into an item; `url` (e.g. from `--url`) wins over a 链接: line.

    Raises `PortalParseError` when no title can be found.
    """
    lines = [unicodedata.normalize("NFKC", raw).strip() if raw.strip() else "" for raw in text.splitlines()]
    # NFKC above only for detection; the text we keep is the original line, tidied.
    originals = [raw.strip().replace("\u3000", " ").strip() for raw in text.splitlines()]
    fields: dict[str, str] = {}
    breadcrumb: str | None = None
    title: str | None = None
    body: list[str] = []
    start = 0
    for i, line in enumerate(lines[:15]):
        if _BREADCRUMB.match(line):
            breadcrumb, start = line, i + 1  # anything above the breadcrumb is site header
            break
    for line, original in zip(lines[start:], originals[start:], strict=True):
        if not line:
            continue
        if _END_OF_PAGE.match(line):
            break
        if _CHROME.match(line) or (breadcrumb is None and line.startswith("★")):
            continue
        url_line = _URL_LINE.match(line)
        if url_line:
            fields.setdefault("url", url_line.group(1))
            continue
        pairs = metadata_pairs(line) if not body else None
        if pairs:
            for name, value in pairs:
                if value and name not in fields:
                    fields[name] = value
            continue
        if title is None and "title" not in fields:
            title = original
        else:
            body.append(original)
    while body and _SIGN_OFF.match(unicodedata.normalize("NFKC", body[-1]).replace(" ", "")):
        body.pop()
    title = fields.get("title") or title
    if not title:
        raise PortalParseError("找不到标题：第一段文字应是信息的标题")
    category = fields.get("category")
    if not category and breadcrumb:
        category = re.split(r"[>＞»]", breadcrumb)[-1].strip() or None
    return ItemData(
        title=title,
        body="\n".join(body),
        url=url or fields.get("url"),
        index_number=fields.get("index_number"),
        doc_number=fields.get("doc_number"),
        published=fields.get("published") or fields.get("written"),
        publisher=fields.get("publisher"),
        category=category,
        keywords=fields.get("keywords"),
        disclosure_period=fields.get("disclosure_period"),
    )
