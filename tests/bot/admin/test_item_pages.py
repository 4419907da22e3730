"""Disclosure-item pages through HTTP: create, edit metadata, bad input, disable, delete, revisions.

With review off (`ADMIN_REVIEW=0`, a one-person office), so an editor's save is live at once;
the review workflow for items is tested in test_review.py.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bot.admin.accounts import Role
from bot.runtime import get_runtime
from knowledge.models import DisclosureItem, Revision
from tests.admin_support import logged_in, token

ITEM = {"title": "金贵镇2023年政府信息公开工作年度报告", "body": "本报告依据条例编制。", "url": "https://example.gov.cn/r",
        "index_number": "640000-001/2024-00001", "doc_number": "金政发〔2024〕1号", "published": "2024年1月31日",
        "publisher": "金贵镇人民政府", "category": "年度报告", "keywords": "年报、政务公开",
        "disclosure_period": "长期"}


@pytest.fixture
def app(make_app) -> Flask:
    return make_app(ADMIN_REVIEW="0")


def create(client: FlaskClient, **fields: str):
    data = dict(ITEM, **fields, csrf_token=token(client, "/admin/items/new"))
    return client.post("/admin/items/new", data=data)


def item(app: Flask, item_id: int) -> DisclosureItem:
    with get_runtime(app).db.session() as session:
        row = session.get(DisclosureItem, item_id)
        assert row is not None
        return row


def item_id(response) -> int:
    found = re.fullmatch(r"/admin/items/(\d+)", response.headers["Location"])
    assert found is not None
    return int(found.group(1))


def test_an_item_is_created_with_its_portal_metadata(app: Flask) -> None:
    client = logged_in(app, Role.EDITOR)
    response = create(client)
    assert response.status_code == 303
    row = item(app, item_id(response))
    assert (row.index_number, row.doc_number, str(row.published), row.publisher, row.keywords) == (
        "640000-001/2024-00001", "金政发〔2024〕1号", "2024-01-31", "金贵镇人民政府", "年报 政务公开")
    assert "年度报告" in client.get("/admin/items?q=年度报告").get_data(as_text=True)


def test_an_item_with_an_index_number_already_used_links_to_it(app: Flask) -> None:
    client = logged_in(app, Role.EDITOR)
    first = item_id(create(client))
    response = create(client, title="另一个标题", url="https://example.gov.cn/other")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and f'href="/admin/items/{first}"' in html


def test_a_bad_date_is_shown_next_to_the_date_field(app: Flask) -> None:
    response = create(logged_in(app, Role.EDITOR), published="去年")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and re.search(r'id="published-error" role="alert">发布日期', html)
    assert ITEM["body"] in html


def test_editing_metadata_records_a_revision(app: Flask) -> None:
    client = logged_in(app, Role.EDITOR)
    iid = item_id(create(client))
    html = client.get(f"/admin/items/{iid}").get_data(as_text=True)
    base = re.findall(r'name="base_revision" value="(\d+)"', html)[0]
    data = dict(ITEM, doc_number="金政发〔2024〕2号", base_revision=base, csrf_token=token(client, "/admin/items"))
    assert client.post(f"/admin/items/{iid}", data=data).status_code == 303
    assert item(app, iid).doc_number == "金政发〔2024〕2号"
    with get_runtime(app).db.session() as session:
        actions = [r.action for r in session.scalars(select(Revision).where(Revision.kind == "item"))]
    assert actions == ["created", "updated"]


def test_a_reviewer_disables_and_deletes_an_item_and_it_is_no_longer_served(app: Flask) -> None:
    iid = item_id(create(logged_in(app, Role.EDITOR)))
    reviewer = logged_in(app, Role.REVIEWER)
    csrf = token(reviewer, "/admin/items")
    reviewer.post(f"/admin/items/{iid}/disable", data={"csrf_token": csrf})
    assert f"item:{iid}" not in {d.key for d in get_runtime(app).db.load_documents()}
    reviewer.post(f"/admin/items/{iid}/delete", data={"csrf_token": csrf})
    assert item(app, iid).deleted_at is not None
    assert ITEM["title"] in reviewer.get("/admin/trash").get_data(as_text=True)


def test_status_and_valid_until_are_saved_and_shown_in_the_list(app: Flask) -> None:
    client = logged_in(app, Role.EDITOR)
    iid = item_id(create(client, status="已废止", valid_until="2030年12月31日"))
    row = item(app, iid)
    assert (row.status, str(row.valid_until)) == ("已废止", "2030-12-31")
    form = client.get(f"/admin/items/{iid}").get_data(as_text=True)
    assert 'value="已废止"' in form and 'value="2030-12-31"' in form
    listing = client.get("/admin/items").get_data(as_text=True)
    assert re.search(r'<span class="badge off">已废止</span>', listing)


def test_an_item_past_its_valid_until_date_is_shown_expired(app: Flask) -> None:
    client = logged_in(app, Role.EDITOR)
    create(client, status="现行有效", valid_until="2020-01-31")
    assert "已过期（2020-01-31）" in client.get("/admin/items").get_data(as_text=True)


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"valid_until": "明年年底"}, "valid_until", "有效期至“明年年底”无法识别"),
    ({"status": "因上级文件调整而部分条款自即日起停止执行并等待修订"}, "status", "状态太长"),
])
def test_bad_status_or_valid_until_gets_the_importers_message_next_to_the_field(
        app: Flask, fields: dict, field: str, message: str) -> None:
    response = create(logged_in(app, Role.EDITOR), **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(rf'id="{field}-error" role="alert">[^<]*{re.escape(message)}', html)
    assert ITEM["body"] in html
