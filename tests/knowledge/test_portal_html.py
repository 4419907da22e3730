"""Portal pages saved from the browser: an item page, a 信息公开目录 list page, a folder of pages."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from knowledge.importers import import_paths
from knowledge.models import DisclosureItem
from knowledge.portal import PortalParseError, parse_portal_text
from knowledge.portal_html import list_items, parse_portal_html, read_portal_html
from knowledge.store import Store

ITEM_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>青石镇2023年村务公开工作总结_青石镇人民政府</title>
<link rel="canonical" href="https://www.qingshi.gov.cn/xxgk/2023/77.html">
<script>var tracker = "索引号：不应出现";</script><style>.x{color:red}</style></head>
<body>
<header><div class="logo">青石镇人民政府</div></header>
<nav><ul><li><a href="/">首页</a></li><li><a href="/xxgk/">政务公开</a></li></ul></nav>
<div class="main-menu"><a href="/zwdt/">政务动态</a> <a href="/hdjl/">互动交流</a></div>
<div class="crumb">您当前的位置：首页 &gt; 政务公开 &gt; 工作总结</div>
<table class="xxgk-meta">
  <tr><td>索 引 号：</td><td>110-7/2023-0042</td><td>文　　号：</td><td>青政发〔2023〕15号</td></tr>
  <tr><td>发布日期：</td><td>2023-12-20</td><td>发布机构：</td><td>青石镇人民政府</td></tr>
  <tr><td>公开时限：</td><td>长期公开</td><td>所属分类：</td><td>工作总结</td></tr>
  <tr><td>关 键 词：</td><td>村务公开 工作总结</td></tr>
</table>
<h1>青石镇2023年村务公开工作总结</h1>
<div id="zoom">
  <p>2023年，青石镇坚持以公开为常态、不公开为例外，推进村务公开规范化。</p>
  <p>全年通过公开栏和门户网站公开村务信息512条，其中财务收支217条。</p>
  <p>下一步，我镇将继续完善村务公开目录。</p>
  <p>青石镇人民政府</p>
  <p>2023年12月20日</p>
</div>
<div class="share-bar">分享到：微信 微博</div>
<div class="print">【打印本页】【关闭窗口】</div>
<footer>版权所有：青石镇人民政府 网站标识码 1234</footer>
</body></html>"""

ITEM_TEXT = """您当前的位置：首页 > 政务公开 > 工作总结
青石镇2023年村务公开工作总结
索 引 号：110-7/2023-0042 文　　号：青政发〔2023〕15号
发布日期：2023-12-20 发布机构：青石镇人民政府
公开时限：长期公开 所属分类：工作总结
关 键 词：村务公开 工作总结
2023年，青石镇坚持以公开为常态、不公开为例外，推进村务公开规范化。
全年通过公开栏和门户网站公开村务信息512条，其中财务收支217条。
下一步，我镇将继续完善村务公开目录。
青石镇人民政府
2023年12月20日
"""

LIST_PAGE = """<html><head><meta charset="utf-8"><base href="https://www.qingshi.gov.cn/xxgk/"></head><body>
<nav><a href="/">首页</a> <a href="/news/">新闻</a></nav>
<h2>信息公开目录 · 社会救助</h2>
<ul class="xxgk-list">
  <li><a href="2024/11.html" title="2024年第三季度低保对象公示">2024年第三季度低保…</a><span>2024-10-08</span></li>
  <li><a href="2024/7.html">2024年第二季度低保对象公示</a><span>2024-07-05</span></li>
  <li><a href="https://www.qingshi.gov.cn/xxgk/2024/3.html">2024年第一季度低保对象公示</a><span>2024/04/02</span></li>
  <li><a href="2023/40.html">2023年临时救助情况公告</a><span>2023年12月29日</span></li>
</ul>
<div class="pager"><a href="?page=2">下一页</a></div>
</body></html>"""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    db = Store(f"sqlite:///{tmp_path / 'kb.sqlite3'}")
    db.migrate()
    yield db
    db.engine.dispose()


def test_an_item_page_gives_title_metadata_and_body_without_navigation() -> None:
    item = parse_portal_html(ITEM_PAGE)
    assert item.title == "青石镇2023年村务公开工作总结"
    assert (item.index_number, item.doc_number, item.published, item.publisher) == (
        "110-7/2023-0042", "青政发〔2023〕15号", "2023-12-20", "青石镇人民政府")
    assert (item.disclosure_period, item.category, item.keywords) == ("长期公开", "工作总结", "村务公开 工作总结")
    assert item.url == "https://www.qingshi.gov.cn/xxgk/2023/77.html"
    assert item.body is not None and item.body.startswith("2023年，青石镇坚持以公开为常态")
    assert "512条" in item.body
    for clutter in ("首页", "政务动态", "分享到", "打印本页", "版权所有", "不应出现", "color:red"):
        assert clutter not in item.body, clutter


def test_the_html_page_and_its_text_form_give_the_same_item() -> None:
    from_html = parse_portal_html(ITEM_PAGE, url="https://www.qingshi.gov.cn/xxgk/2023/77.html")
    from_text = parse_portal_text(ITEM_TEXT, url="https://www.qingshi.gov.cn/xxgk/2023/77.html")
    assert from_html == from_text


def test_a_given_url_wins_over_the_pages_canonical_link() -> None:
    assert parse_portal_html(ITEM_PAGE, url="https://example.gov.cn/a.html").url == "https://example.gov.cn/a.html"


def test_an_item_page_is_one_item_not_a_list() -> None:
    assert [i.title for i in read_portal_html(ITEM_PAGE)] == ["青石镇2023年村务公开工作总结"]


def test_a_list_page_gives_one_item_per_dated_link_with_absolute_addresses() -> None:
    items = list_items(LIST_PAGE)
    assert [(i.title, i.url, i.published) for i in items] == [
        ("2024年第三季度低保对象公示", "https://www.qingshi.gov.cn/xxgk/2024/11.html", "2024-10-08"),
        ("2024年第二季度低保对象公示", "https://www.qingshi.gov.cn/xxgk/2024/7.html", "2024-07-05"),
        ("2024年第一季度低保对象公示", "https://www.qingshi.gov.cn/xxgk/2024/3.html", "2024-04-02"),
        ("2023年临时救助情况公告", "https://www.qingshi.gov.cn/xxgk/2023/40.html", "2023-12-29"),
    ]


def test_a_page_with_neither_title_nor_list_is_refused_with_a_reason() -> None:
    with pytest.raises(PortalParseError):
        read_portal_html("<html><body><nav><a href='/'>首页</a></nav></body></html>")


def test_a_folder_of_pages_imports_every_page_and_list_row(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "item.html").write_text(ITEM_PAGE, encoding="utf-8")
    (folder / "list.htm").write_bytes(LIST_PAGE.encode("utf-8"))
    (folder / "notes.doc").write_text("不是可导入的文件", encoding="utf-8")
    result = import_paths(store, [folder])
    assert (result.created, result.errors) == (5, [])
    with store.session() as session:
        rows = {r.title: r for r in session.scalars(select(DisclosureItem))}
    assert rows["青石镇2023年村务公开工作总结"].doc_number == "青政发〔2023〕15号"
    assert rows["2023年临时救助情况公告"].published == datetime.date(2023, 12, 29)


def test_a_gbk_page_with_its_charset_declared_is_read(store: Store, tmp_path: Path) -> None:
    page = ITEM_PAGE.replace('charset="utf-8"', 'charset="gbk"')
    path = tmp_path / "gbk.html"
    path.write_bytes(page.encode("gbk"))
    assert import_paths(store, [path]).created == 1
    with store.session() as session:
        assert session.scalars(select(DisclosureItem.title)).one() == "青石镇2023年村务公开工作总结"
