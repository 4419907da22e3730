"""The FAQ pages through HTTP: the form contract, bad input next to its field, revisions, trash,
reply preview, "test this entry", escaping, and text kept across an expired login.

These run as a one-person office does, with review off (`ADMIN_REVIEW=0`): an editor's save is
live at once. With review on (the default) the same form posts become pending changes; that
workflow is tested in test_review.py.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bot.admin.accounts import Role
from bot.runtime import get_runtime
from knowledge.models import FaqEntry, Revision
from tests.admin_support import PASSWORD, csrf_from, logged_in, token
from tests.support import OTHER, FakeClock, add_knowledge, ask

XSS = '<script>alert("x")</script>'


@pytest.fixture
def app(make_app) -> Flask:
    return make_app(ADMIN_REVIEW="0")


@pytest.fixture
def editor_client(app: Flask) -> FlaskClient:
    return logged_in(app, Role.EDITOR, "编辑甲")


def new_faq(client: FlaskClient, **fields: str):
    data = {"question": "低保怎么申请？", "answer": "向户籍所在地的镇人民政府提出书面申请。", "similar": "", "url": ""}
    data.update(fields)
    data["csrf_token"] = token(client, "/admin/faq/new")
    return client.post("/admin/faq/new", data=data)


def entry_id(response) -> int:
    match = re.fullmatch(r"/admin/faq/(\d+)", response.headers["Location"])
    assert match, response.headers.get("Location")
    return int(match.group(1))


def faq(app: Flask, faq_id: int) -> FaqEntry:
    with get_runtime(app).db.session() as session:
        row = session.get(FaqEntry, faq_id)
        assert row is not None
        return row


def test_a_new_faq_is_saved_with_303_to_its_page(app: Flask, editor_client: FlaskClient) -> None:
    response = new_faq(editor_client, similar="低保去哪办\n\n  吃低保要什么条件 \n", url="https://example.gov.cn/a",
                       category="社会救助", office="民政办", valid_until="2030-12-31")
    assert response.status_code == 303
    row = faq(app, entry_id(response))
    assert row.similar == ["低保去哪办", "吃低保要什么条件"]
    assert (row.url, row.category, row.office, str(row.valid_until), row.editor) == (
        "https://example.gov.cn/a", "社会救助", "民政办", "2030-12-31", "编辑甲")
    page = editor_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已保存问答" in page and "低保去哪办" in page


def test_a_saved_faq_answers_a_citizen_by_its_similar_wording(app: Flask, editor_client: FlaskClient) -> None:
    new_faq(editor_client, similar="吃低保去哪里办")
    get_runtime(app).kb.maybe_reload(wait=True)
    assert "书面申请" in ask(app.test_client(), "吃低保去哪里办")


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"answer": "  "}, "answer", "答案不能为空"),
    ({"question": "问" * 1001}, "question", "问题太长"),
    ({"url": "example.com"}, "url", "http://"),
    ({"valid_until": "明年"}, "valid_until", "有效期至"),
])
def test_bad_input_gets_a_chinese_message_next_to_its_field_and_keeps_the_text(
        editor_client: FlaskClient, fields: dict, field: str, message: str) -> None:
    response = new_faq(editor_client, similar="保留这行相似问法", **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(rf'id="{field}-error" role="alert">[^<]*{re.escape(message)}', html)
    assert "保留这行相似问法" in html


def test_a_duplicate_question_links_to_the_existing_entry(app: Flask, editor_client: FlaskClient) -> None:
    first = entry_id(new_faq(editor_client))
    response = new_faq(editor_client, question="低保 怎么申请", answer="另一个答案")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "已有相同的问题" in html
    assert f'href="/admin/faq/{first}"' in html
    with get_runtime(app).db.session() as session:
        assert len(session.scalars(select(FaqEntry)).all()) == 1


def test_a_new_entry_shows_which_existing_entry_citizens_asking_it_get_today(
        app: Flask, editor_client: FlaskClient) -> None:
    first = entry_id(new_faq(editor_client))
    html = editor_client.get("/admin/faq/new", query_string={"question": "低保要怎么申请"}).get_data(as_text=True)
    card = html.split('id="existing"', 1)[1].split("</div>", 1)[0]
    assert f'href="/admin/faq/{first}"' in card and "直接回答" in card and "相似问法" in card
    html = editor_client.get("/admin/faq/new", query_string={"question": "养狗要办证吗"}).get_data(as_text=True)
    assert "现在这样问找不到任何已有条目" in html
    assert 'id="existing"' not in editor_client.get("/admin/faq/new").get_data(as_text=True)  # nothing typed yet
    assert 'id="existing"' not in editor_client.get(f"/admin/faq/{first}").get_data(as_text=True)


def test_an_answer_with_a_script_tag_is_shown_escaped(app: Flask, editor_client: FlaskClient) -> None:
    faq_id = entry_id(new_faq(editor_client, question=f"问题{XSS}", answer=f"答案{XSS}", similar=XSS))
    pages = [f"/admin/faq/{faq_id}", "/admin/faq", f"/admin/faq?q={XSS}", f"/admin/faq/{faq_id}?test=1",
             f"/admin/faq/new?question=问题{XSS}"]
    with get_runtime(app).db.session() as session:
        rev = session.scalars(select(Revision)).first()
        assert rev is not None
    pages.append(f"/admin/history/faq/{faq_id}/{rev.id}")
    for path in pages:
        html = editor_client.get(path).get_data(as_text=True)
        assert XSS not in html, path
        assert "&lt;script&gt;" in html, path


def test_the_edit_page_previews_the_reply_within_the_wechat_budget(editor_client: FlaskClient) -> None:
    faq_id = entry_id(new_faq(editor_client, answer="第一句。" + "很长的说明。" * 600))
    html = editor_client.get(f"/admin/faq/{faq_id}").get_data(as_text=True)
    assert "/ 2048 字节" in html and "答案太长，群众只能看到上面截断后的部分" in html


def test_preview_shows_the_typed_text_without_saving(app: Flask, editor_client: FlaskClient) -> None:
    faq_id = entry_id(new_faq(editor_client))
    response = editor_client.post(f"/admin/faq/{faq_id}", data={
        "question": "低保怎么申请？", "answer": "还没保存的新答案。", "similar": "", "url": "", "category": "",
        "office": "", "valid_until": "", "action": "preview", "csrf_token": token(editor_client, "/admin/faq")})
    assert response.status_code == 200 and "还没保存的新答案。" in response.get_data(as_text=True)
    assert faq(app, faq_id).answer == "向户籍所在地的镇人民政府提出书面申请。"


def edit(client: FlaskClient, faq_id: int, **fields: str):
    html = client.get(f"/admin/faq/{faq_id}").get_data(as_text=True)
    found = re.search(r'name="base_revision" value="(\d+)"', html)
    assert found is not None
    base = found.group(1)
    data = {"question": "低保怎么申请？", "answer": "新答案。", "similar": "", "url": "", "category": "",
            "office": "", "valid_until": "", "base_revision": base, "csrf_token": csrf_from(html)}
    data.update(fields)
    return client.post(f"/admin/faq/{faq_id}", data=data)


def test_editing_records_a_revision_and_an_old_one_can_be_restored(app: Flask, editor_client: FlaskClient) -> None:
    faq_id = entry_id(new_faq(editor_client))
    assert edit(editor_client, faq_id, answer="改过的答案。").status_code == 303
    with get_runtime(app).db.session() as session:
        first = session.scalars(select(Revision).order_by(Revision.id)).first()
        assert first is not None
    diff_page = editor_client.get(f"/admin/history/faq/{faq_id}/{first.id + 1}").get_data(as_text=True)
    assert "改过的答案。" in diff_page and "向户籍所在地的镇人民政府提出书面申请。" in diff_page
    response = editor_client.post(f"/admin/history/faq/{faq_id}/{first.id}/restore",
                                  data={"csrf_token": token(editor_client, f"/admin/faq/{faq_id}")})
    assert response.status_code == 303
    assert faq(app, faq_id).answer == "向户籍所在地的镇人民政府提出书面申请。"
    assert "恢复到旧版本" in editor_client.get(f"/admin/faq/{faq_id}").get_data(as_text=True)


def test_a_save_over_someone_elses_newer_edit_is_refused_keeping_the_text(
        app: Flask, editor_client: FlaskClient) -> None:
    faq_id = entry_id(new_faq(editor_client))
    html = editor_client.get(f"/admin/faq/{faq_id}").get_data(as_text=True)
    other = logged_in(app, Role.EDITOR, "编辑乙")
    assert edit(other, faq_id, answer="乙的答案。").status_code == 303
    response = editor_client.post(f"/admin/faq/{faq_id}", data={
        "question": "低保怎么申请？", "answer": "甲的答案。", "similar": "", "url": "", "category": "", "office": "",
        "valid_until": "", "csrf_token": csrf_from(html),
        "base_revision": re.findall(r'name="base_revision" value="(\d+)"', html)[0]})
    assert response.status_code == 409 and "甲的答案。" in response.get_data(as_text=True)
    assert faq(app, faq_id).answer == "乙的答案。"


def test_the_list_searches_filters_and_pages(app: Flask, editor_client: FlaskClient) -> None:
    for n in range(55):
        new_faq(editor_client, question=f"第{n}号问题", answer="答", category="甲类" if n % 2 else "乙类")
    assert "共 55 条" in editor_client.get("/admin/faq").get_data(as_text=True)
    assert "共 1 条" in editor_client.get("/admin/faq?q=第7号").get_data(as_text=True)
    assert "共 0 条" in editor_client.get("/admin/faq?q=答").get_data(as_text=True)
    assert "共 55 条" in editor_client.get("/admin/faq?q=答&answers=1").get_data(as_text=True)
    assert "共 27 条" in editor_client.get("/admin/faq?category=甲类").get_data(as_text=True)
    second = editor_client.get("/admin/faq?category=乙类&page=2").get_data(as_text=True)
    assert "第 1 / 1 页" not in second and "共 28 条" in second


def test_an_editor_cannot_delete_or_disable_but_a_reviewer_can(app: Flask, editor_client: FlaskClient) -> None:
    faq_id = entry_id(new_faq(editor_client))
    csrf = token(editor_client, "/admin/faq")
    assert editor_client.post(f"/admin/faq/{faq_id}/delete", data={"csrf_token": csrf}).status_code == 403
    reviewer = logged_in(app, Role.REVIEWER, "审核甲")
    csrf = token(reviewer, "/admin/faq")
    reviewer.post(f"/admin/faq/{faq_id}/disable", data={"csrf_token": csrf})
    assert "已停用" in reviewer.get("/admin/faq?status=disabled").get_data(as_text=True)
    reviewer.post(f"/admin/faq/{faq_id}/delete", data={"csrf_token": csrf})
    assert faq(app, faq_id).deleted_at is not None
    assert "低保怎么申请" in reviewer.get("/admin/trash").get_data(as_text=True)
    assert reviewer.post(f"/admin/trash/faq/{faq_id}/restore", data={"csrf_token": csrf}).status_code == 303
    assert faq(app, faq_id).deleted_at is None


def test_a_viewer_cannot_open_or_post_the_faq_pages(app: Flask, editor_client: FlaskClient) -> None:
    faq_id = entry_id(new_faq(editor_client))
    viewer = logged_in(app, Role.VIEWER, "查看甲")
    assert viewer.get("/admin/faq").status_code == 403
    assert viewer.post(f"/admin/faq/{faq_id}", data={"csrf_token": token(viewer, "/admin/welcome"),
                                                     "answer": "x"}).status_code == 403


def test_test_this_entry_flags_a_wording_that_does_not_reach_it(app: Flask, editor_client: FlaskClient) -> None:
    add_knowledge(get_runtime(app), OTHER)
    faq_id = entry_id(new_faq(editor_client, similar="低保去哪里办理\n结婚登记在哪里办"))
    html = editor_client.get(f"/admin/faq/{faq_id}?test=1").get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<td>([^<]+)</td>\s*<td>(.*?)</td>", html, re.S)
    missed = {wording: ("找不到本条" in cell or "仅列为相关" in cell) for wording, cell in rows}
    assert missed == {"低保怎么申请？": False, "低保去哪里办理": False, "结婚登记在哪里办": True}


def test_an_expired_login_keeps_the_typed_faq_and_fills_it_in_after_login(make_app) -> None:
    app = make_app(ADMIN_IDLE_MINUTES="30")
    clock = FakeClock()
    app.config["ADMIN_CLOCK"] = clock
    client = logged_in(app, Role.EDITOR, "编辑丙")
    csrf = token(client, "/admin/faq/new")
    clock.now += 31 * 60
    response = client.post("/admin/faq/new", data={"question": "过期前写的问题", "answer": "过期前写的长答案。",
                                                   "similar": "一种问法", "url": "", "csrf_token": csrf})
    html = response.get_data(as_text=True)
    assert response.status_code == 401 and "您填写的内容已保存" in html
    login = client.post("/admin/login", data={"username": "编辑丙", "password": PASSWORD, "next": "/admin/faq/new",
                                              "csrf_token": csrf_from(html)})
    assert login.headers["Location"] == "/admin/faq/new"
    form = client.get("/admin/faq/new").get_data(as_text=True)
    assert "过期前写的问题" in form and "过期前写的长答案。" in form and "一种问法" in form
    assert "过期前写的问题" not in client.get("/admin/faq/new").get_data(as_text=True)  # used once


def test_a_long_answer_is_saved_despite_the_webhooks_small_body_limit(app: Flask, editor_client: FlaskClient) -> None:
    long_answer = "这是一段很长的政策解读。" * 800  # ~9,600 characters, ~86 KB URL-encoded
    response = new_faq(editor_client, answer=long_answer)
    assert response.status_code == 303
    assert faq(app, entry_id(response)).answer == long_answer


def test_a_form_over_the_admin_limit_gets_a_chinese_413(editor_client: FlaskClient) -> None:
    response = new_faq(editor_client, answer="长" * 300_000)
    assert response.status_code == 413 and "太大" in response.get_data(as_text=True)
