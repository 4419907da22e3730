"""Portal page text → disclosure item. The page text is built here, in the portal's layout."""

from __future__ import annotations

import datetime

import pytest

from knowledge.editor import normalize_item
from knowledge.portal import PortalParseError, parse_portal_text

PAGE = """★示范县城  ★卫生城市
您当前浏览位置:首页>政务公开>乡镇信息公开目录>某某镇人民政府>信息公开目录>社会救助

某某镇2023年临时救助工作方案

索引号 640000-001/2023-00042 文 号 某政发〔2023〕17号 发布日期 2023-03-08
发布机构 某某镇人民政府 公开时限 长期公开 所属分类 社会救助
关 键 词 临时救助 方案

为做好临时救助工作,现将有关事项通知如下:

一、救助对象为遭遇突发困难的家庭。

二、申请人向镇人民政府提出申请。


某某镇人民政府{pad}

2023年3月8日{pad}

(此件公开发布)

扫一扫在手机打开当前页
附件下载
""".format(pad=" " * 8)  # the portal pads the sign-off lines with spaces


def test_every_metadata_field_is_read_including_spaced_labels() -> None:
    item = normalize_item(parse_portal_text(PAGE))
    assert (item.index_number, item.doc_number, item.published, item.publisher, item.disclosure_period,
            item.category, item.keywords) == (
        "640000-001/2023-00042", "某政发〔2023〕17号", datetime.date(2023, 3, 8), "某某镇人民政府", "长期公开",
        "社会救助", "临时救助 方案")


def test_title_is_the_first_line_after_the_breadcrumb() -> None:
    assert parse_portal_text(PAGE).title == "某某镇2023年临时救助工作方案"


def test_body_keeps_the_text_and_drops_sign_off_and_page_chrome() -> None:
    body = parse_portal_text(PAGE).body or ""
    assert body.startswith("为做好临时救助工作")
    assert body.endswith("二、申请人向镇人民政府提出申请。")
    for chrome in ("扫一扫", "附件下载", "此件公开发布", "2023年3月8日", "★", "浏览位置"):
        assert chrome not in body


def test_without_a_url_the_item_has_none_and_is_keyed_on_index_number() -> None:
    assert parse_portal_text(PAGE).url is None


def test_a_link_line_gives_the_url() -> None:
    page = PAGE.replace("关 键 词", "链接: https://example.gov.cn/a/42.html\n关 键 词")
    assert parse_portal_text(page).url == "https://example.gov.cn/a/42.html"


def test_an_explicit_url_wins_over_the_link_line() -> None:
    page = PAGE + "\n链接：https://example.gov.cn/old.html\n"
    assert parse_portal_text(page, url="https://example.gov.cn/new.html").url == "https://example.gov.cn/new.html"


def test_category_falls_back_to_the_last_breadcrumb_segment() -> None:
    page = PAGE.replace(" 所属分类 社会救助", "")
    assert parse_portal_text(page).category == "社会救助"


def test_page_without_breadcrumb_still_finds_title_and_metadata() -> None:
    page = PAGE.split("\n", 2)[2]
    item = parse_portal_text(page)
    assert (item.title, item.index_number) == ("某某镇2023年临时救助工作方案", "640000-001/2023-00042")


def test_text_without_any_title_is_rejected_in_chinese() -> None:
    with pytest.raises(PortalParseError, match="找不到标题"):
        parse_portal_text("扫一扫在手机打开当前页\n")
