"""A place named in a question puts that place's items ahead of other places' sibling items."""

from __future__ import annotations

from knowledge import placeframe
from knowledge.document import Document, Hit, SearchResult


def item(n: int, publisher: str | None, title: str = "公共租赁住房准入条件") -> Document:
    return Document(kind="item", id=n, title=title, body="正文。", publisher=publisher)


def result(query: str, *docs: Document, answered: bool = True) -> SearchResult:
    return SearchResult(query, (), tuple(Hit(d, 10.0 - n, ()) for n, d in enumerate(docs)), answered)


def keys(r: SearchResult) -> list[str]:
    return [h.doc.key for h in r.hits]


def test_places_are_read_from_a_publisher_without_the_organisation() -> None:
    assert placeframe.publisher_places("上海市浦东新区人民政府洋泾街道办事处") == {"上海", "浦东", "洋泾"}
    assert placeframe.publisher_places("奉贤区柘林镇人民政府") == {"奉贤", "柘林"}
    assert placeframe.publisher_places("上海市住房和城乡建设管理委员会") == {"上海"}
    assert placeframe.publisher_places(None) == set()


def test_the_named_districts_item_moves_ahead_of_other_districts_siblings() -> None:
    r = placeframe.apply(result("青浦公租房 人均住房面积多少以下才能申请", item(1, "上海市松江区住房保障中心"),
                                item(2, "上海市闵行区房屋管理局"), item(3, "上海市青浦区房屋管理局")))
    assert keys(r) == ["item:3", "item:1", "item:2"]
    assert not r.answered  # the decision was about the 松江 item: it does not carry over


def test_faq_entries_keep_their_places_and_only_items_are_reordered() -> None:
    faq = Document(kind="faq", id=9, title="公租房怎么申请", body="…")
    r = placeframe.apply(result("青浦公租房怎么申请", faq, item(1, "上海市松江区住房保障中心"),
                                item(3, "上海市青浦区房屋管理局")))
    assert keys(r) == ["faq:9", "item:3", "item:1"]
    assert r.answered  # the best hit did not move


def test_a_place_written_with_its_suffix_counts_even_if_no_publisher_names_it() -> None:
    r = placeframe.apply(result("杨行镇村里工程招标 中标结果公示几天", item(1, "上海市宝山区罗店镇人民政府"),
                                item(2, None, title="杨行镇村级工程招投标管理办法")))
    assert keys(r) == ["item:2", "item:1"]


def test_nothing_moves_without_a_place_or_without_an_item_that_carries_it() -> None:
    unnamed = result("公租房几年复核一次", item(1, "上海市松江区住房保障中心"), item(2, "上海市青浦区房屋管理局"))
    assert placeframe.apply(unnamed) is unnamed
    absent = result("杨行镇公租房几年复核一次", item(1, "上海市松江区住房保障中心"), item(2, "上海市青浦区房屋管理局"))
    assert placeframe.apply(absent) is absent


def test_an_item_without_a_publisher_is_of_no_known_place_and_keeps_its_rank() -> None:
    """A township's own items often carry no 发布机构: naming the township must not bury them."""
    r = placeframe.apply(result("金贵镇扶贫资金投入了多少", item(1, None, title="2018年扶贫工作情况"),
                                item(2, "金贵镇人民政府", title="扶贫项目公示"), item(3, "贺兰县民政局")))
    assert keys(r) == ["item:1", "item:2", "item:3"]
