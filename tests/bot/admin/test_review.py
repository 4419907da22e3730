"""待审核 through HTTP, with review on (the default): an editor's save, import or restore waits
as a pending change that citizens never see; a reviewer publishes it (then it is served) or
rejects it with a reason the editor reads, and nothing submitted is ever lost.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bot.admin.accounts import Role
from bot.runtime import get_runtime
from knowledge.editor import FaqData, ItemData, KbEditor
from knowledge.models import AuditEvent, DisclosureItem, FaqEntry, PendingChange, Revision
from tests.admin_support import logged_in, token
from tests.bot.admin.test_faq_pages import faq as live_faq
from tests.bot.admin.test_imports import SHEET, answers, confirm, upload, xlsx
from tests.bot.admin.test_queue_pages import HOUSE, MORE, OTHER, UNANSWERED, citizen, first_group_link
from tests.support import add_knowledge, ask

NEW = {"question": "低保怎么申请？", "answer": "向户籍所在地的镇人民政府提出书面申请。", "similar": "吃低保去哪里办",
       "url": "", "category": "", "office": "", "valid_until": ""}


@pytest.fixture
def editor(app: Flask) -> FlaskClient:
    return logged_in(app, Role.EDITOR, "编辑甲")


@pytest.fixture
def reviewer(app: Flask) -> FlaskClient:
    return logged_in(app, Role.REVIEWER, "审核乙")


def post_new(client: FlaskClient, **fields: str):
    return client.post("/admin/faq/new", data={**NEW, **fields, "csrf_token": token(client, "/admin/faq/new")})


def change_id(response) -> int:
    found = re.fullmatch(r"/admin/review/(\d+)", response.headers["Location"])
    assert found, response.headers.get("Location")
    return int(found.group(1))


def decide(client: FlaskClient, number: int, action: str, **fields: str):
    return client.post(f"/admin/review/{number}/{action}",
                       data={**fields, "csrf_token": token(client, f"/admin/review/{number}")})


def served(app: Flask, question: str) -> str:
    get_runtime(app).kb.maybe_reload(wait=True)
    return ask(app.test_client(), question)


def change(app: Flask, number: int) -> PendingChange:
    with get_runtime(app).db.session() as session:
        row = session.get(PendingChange, number)
        assert row is not None
        return row


def test_an_editors_new_faq_waits_for_review_and_is_not_served(app: Flask, editor: FlaskClient) -> None:
    response = post_new(editor)
    assert response.status_code == 303
    number = change_id(response)
    assert answers(app) == {}
    assert "书面申请" not in served(app, "吃低保去哪里办")
    page = editor.get(f"/admin/review/{number}").get_data(as_text=True)
    assert "已提交审核" in page and "待审核" in page and "书面申请" in page
    assert "撤回这项提交" in page and "退回理由" not in page  # an editor cannot decide
    assert f"#{number}" in editor.get("/admin/review").get_data(as_text=True)  # 我的提交


def test_a_reviewer_publishes_and_then_citizens_are_answered(app: Flask, editor: FlaskClient,
                                                              reviewer: FlaskClient) -> None:
    number = change_id(post_new(editor))
    listing = reviewer.get("/admin/review").get_data(as_text=True)
    assert "低保怎么申请？" in listing and "编辑甲" in listing
    assert re.search(r'待审核 <span class="count"[^>]*>1</span>', listing)  # the reviewer's navigation says so
    assert 'class="count"' not in editor.get("/admin/review").get_data(as_text=True)
    page = reviewer.get(f"/admin/review/{number}").get_data(as_text=True)
    assert "发布" in page and "退回理由" in page and "吃低保去哪里办" in page
    response = decide(reviewer, number, "publish")
    assert response.status_code == 303
    assert answers(app) == {"低保怎么申请？": "向户籍所在地的镇人民政府提出书面申请。"}
    assert "书面申请" in served(app, "吃低保去哪里办")
    assert change(app, number).status == "published" and change(app, number).decided_by == "审核乙"
    with get_runtime(app).db.session() as session:
        rev = session.scalars(select(Revision)).one()
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert rev.editor == "编辑甲" and "审核发布：审核乙" in (rev.note or "")
    assert actions[-3:] == ["review.submitted", "faq.created", "review.published"]
    assert "已发布" in editor.get("/admin/review?tab=mine").get_data(as_text=True)
    audit = reviewer.get("/admin/audit?group=review").get_data(as_text=True)
    assert "提交审核" in audit and "审核发布" in audit and "问答新建" not in audit


def test_an_editors_edit_keeps_the_live_answer_until_published(app: Flask, editor: FlaskClient,
                                                                reviewer: FlaskClient) -> None:
    faq_id = KbEditor(get_runtime(app).db, editor="审核乙").save_faq(FaqData(NEW["question"], "旧答案。")).id
    assert faq_id is not None
    html = editor.get(f"/admin/faq/{faq_id}").get_data(as_text=True)
    assert "提交审核" in html
    base = re.findall(r'name="base_revision" value="(\d+)"', html)[0]
    response = editor.post(f"/admin/faq/{faq_id}", data={**NEW, "answer": "新答案。", "base_revision": base,
                                                          "csrf_token": token(editor, "/admin/faq")})
    assert response.status_code == 303 and response.headers["Location"] == f"/admin/faq/{faq_id}"
    assert live_faq(app, faq_id).answer == "旧答案。"
    mine = editor.get(f"/admin/faq/{faq_id}").get_data(as_text=True)
    assert "您提交的待审核修改" in mine and "新答案。" in mine  # the editor keeps working on their text
    theirs = reviewer.get(f"/admin/faq/{faq_id}").get_data(as_text=True)
    assert "1 项待审核的修改" in theirs and "旧答案。" in theirs
    with get_runtime(app).db.session() as session:
        number = session.scalars(select(PendingChange.id)).one()
    diff = reviewer.get(f"/admin/review/{number}").get_data(as_text=True)
    assert "旧答案。" in diff and "新答案。" in diff
    decide(reviewer, number, "publish")
    assert live_faq(app, faq_id).answer == "新答案。"


def test_a_rejected_change_is_kept_with_its_reason_and_never_served(app: Flask, editor: FlaskClient,
                                                                    reviewer: FlaskClient) -> None:
    number = change_id(post_new(editor))
    refused = decide(reviewer, number, "reject", reason="  ")
    assert refused.status_code == 303 and change(app, number).status == "pending"
    assert "请写明退回的理由" in reviewer.get(refused.headers["Location"]).get_data(as_text=True)
    decide(reviewer, number, "reject", reason="答案缺少办理地点")
    kept = change(app, number)
    assert (kept.status, kept.reason, kept.decided_by) == ("rejected", "答案缺少办理地点", "审核乙")
    assert "书面申请" in kept.ops_json  # the text itself is kept
    mine = editor.get("/admin/review?tab=mine").get_data(as_text=True)
    assert "已退回" in mine and "答案缺少办理地点" in mine
    assert "书面申请" in editor.get(f"/admin/review/{number}").get_data(as_text=True)
    assert answers(app) == {}
    again = decide(reviewer, number, "publish")
    assert "不能再处理" in reviewer.get(again.headers["Location"]).get_data(as_text=True)
    assert answers(app) == {}


def test_a_rejected_edit_shows_in_the_entrys_history(app: Flask, editor: FlaskClient, reviewer: FlaskClient) -> None:
    faq_id = KbEditor(get_runtime(app).db, editor="审核乙").save_faq(FaqData(NEW["question"], "旧答案。")).id
    html = editor.get(f"/admin/faq/{faq_id}").get_data(as_text=True)
    base = re.findall(r'name="base_revision" value="(\d+)"', html)[0]
    editor.post(f"/admin/faq/{faq_id}", data={**NEW, "answer": "被退回的答案。", "base_revision": base,
                                               "csrf_token": token(editor, "/admin/faq")})
    with get_runtime(app).db.session() as session:
        number = session.scalars(select(PendingChange.id)).one()
    decide(reviewer, number, "reject", reason="政策已调整")
    page = editor.get(f"/admin/faq/{faq_id}").get_data(as_text=True)
    assert "未发布的提交" in page and "已退回" in page and "政策已调整" in page
    assert "旧答案。" in page and "被退回的答案。" not in page  # the form shows the live text again


def test_a_reviewers_own_save_publishes_at_once(app: Flask, reviewer: FlaskClient) -> None:
    response = post_new(reviewer)
    assert re.fullmatch(r"/admin/faq/\d+", response.headers["Location"])
    assert "书面申请" in served(app, "吃低保去哪里办")


def test_a_viewer_can_neither_see_nor_decide_and_an_editor_cannot_decide(app: Flask, editor: FlaskClient) -> None:
    number = change_id(post_new(editor))
    viewer = logged_in(app, Role.VIEWER, "查看丙")
    assert viewer.get("/admin/review").status_code == 403
    assert viewer.get(f"/admin/review/{number}").status_code == 403
    csrf = token(viewer, "/admin/welcome")
    for action in ("publish", "reject", "withdraw"):
        assert viewer.post(f"/admin/review/{number}/{action}", data={"csrf_token": csrf}).status_code == 403
    assert decide(editor, number, "publish").status_code == 403
    assert decide(editor, number, "reject", reason="x").status_code == 403
    assert change(app, number).status == "pending"


def test_the_decisions_need_the_csrf_token(app: Flask, editor: FlaskClient, reviewer: FlaskClient) -> None:
    number = change_id(post_new(editor))
    for action in ("publish", "reject"):
        assert reviewer.post(f"/admin/review/{number}/{action}", data={"reason": "x"}).status_code == 400
    assert editor.post(f"/admin/review/{number}/withdraw", data={"csrf_token": "forged"}).status_code == 400
    assert change(app, number).status == "pending"


def test_test_runs_the_pending_wording_against_a_throwaway_index(app: Flask, editor: FlaskClient) -> None:
    number = change_id(post_new(editor))
    page = editor.get(f"/admin/review/{number}?test=1").get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<td>([^<]+)</td>\s*<td>(.*?)</td>", page, re.S)
    reached = {wording: "直接回答本条" in cell for wording, cell in rows}
    assert reached == {"低保怎么申请？": True, "吃低保去哪里办": True}
    assert "书面申请" not in served(app, "吃低保去哪里办")  # the live index is untouched


def test_a_change_that_no_longer_applies_cannot_be_published(app: Flask, editor: FlaskClient,
                                                            reviewer: FlaskClient) -> None:
    first, second = change_id(post_new(editor)), change_id(post_new(logged_in(app, Role.EDITOR, "编辑丁")))
    decide(reviewer, first, "publish")
    page = reviewer.get(f"/admin/review/{second}").get_data(as_text=True)
    assert "无法发布" in page and "已有相同的问题" in page
    response = decide(reviewer, second, "publish")
    assert "无法发布" in reviewer.get(response.headers["Location"]).get_data(as_text=True)
    assert change(app, second).status == "pending" and len(answers(app)) == 1


def test_saving_again_replaces_the_editors_own_pending_change_and_keeps_the_old_one(
        app: Flask, editor: FlaskClient) -> None:
    faq_id = KbEditor(get_runtime(app).db, editor="审核乙").save_faq(FaqData(NEW["question"], "旧答案。")).id
    for answer in ("第一稿。", "第二稿。"):
        html = editor.get(f"/admin/faq/{faq_id}").get_data(as_text=True)
        base = re.findall(r'name="base_revision" value="(\d+)"', html)[0]
        editor.post(f"/admin/faq/{faq_id}", data={**NEW, "answer": answer, "base_revision": base,
                                                   "csrf_token": token(editor, "/admin/faq")})
    with get_runtime(app).db.session() as session:
        statuses = [(c.status, "第一稿" in c.ops_json) for c in session.scalars(select(PendingChange)
                                                                             .order_by(PendingChange.id))]
    assert statuses == [("superseded", True), ("pending", False)]


def test_the_author_can_withdraw_and_the_change_is_kept(app: Flask, editor: FlaskClient) -> None:
    number = change_id(post_new(editor))
    other = logged_in(app, Role.EDITOR, "编辑丁")
    assert "只能撤回自己" in other.get(decide(other, number, "withdraw").headers["Location"]).get_data(as_text=True)
    decide(editor, number, "withdraw")
    assert change(app, number).status == "withdrawn"


def test_an_editors_import_waits_for_review_then_writes_every_row(app: Flask, editor: FlaskClient,
                                                                  reviewer: FlaskClient) -> None:
    page = upload(editor, xlsx(SHEET)).get_data(as_text=True)
    assert "确认并提交审核" in page
    done = confirm(editor, page).get_data(as_text=True)
    assert "已提交审核" in done and answers(app) == {}
    number = int(re.findall(r"/admin/review/(\d+)", done)[0])
    assert change(app, number).count == 2
    decide(reviewer, number, "publish")
    assert answers(app) == {"低保怎么申请": "向镇民政办提出申请。", "危房改造补助多少钱": "按等级补助。"}


def test_an_editors_restore_of_an_old_version_waits_for_review(app: Flask, editor: FlaskClient) -> None:
    kb = KbEditor(get_runtime(app).db, editor="审核乙")
    faq_id = kb.save_faq(FaqData(NEW["question"], "第一版。")).id
    assert faq_id is not None
    kb.save_faq(FaqData(NEW["question"], "第二版。"), faq_id=faq_id)
    with get_runtime(app).db.session() as session:
        first = session.scalars(select(Revision.id).order_by(Revision.id)).first()
    response = editor.post(f"/admin/history/faq/{faq_id}/{first}/restore",
                           data={"csrf_token": token(editor, f"/admin/faq/{faq_id}")})
    assert "已提交审核" in editor.get(response.headers["Location"]).get_data(as_text=True)
    assert live_faq(app, faq_id).answer == "第二版。"


def test_an_editors_item_edit_waits_for_review(app: Flask, editor: FlaskClient, reviewer: FlaskClient) -> None:
    item_id = KbEditor(get_runtime(app).db, editor="审核乙").save_item(ItemData(title="某镇通知", body="正文")).id
    html = editor.get(f"/admin/items/{item_id}").get_data(as_text=True)
    base = re.findall(r'name="base_revision" value="(\d+)"', html)[0]
    fields = dict.fromkeys(("url", "index_number", "doc_number", "published", "publisher", "category", "keywords",
                            "disclosure_period", "valid_until"), "")
    editor.post(f"/admin/items/{item_id}", data={**fields, "title": "某镇通知", "body": "正文", "status": "已废止",
                                                  "base_revision": base, "csrf_token": token(editor, "/admin/items")})
    with get_runtime(app).db.session() as session:
        number = session.scalars(select(PendingChange.id)).one()
        assert session.get(DisclosureItem, item_id).status is None  # type: ignore[union-attr]
    decide(reviewer, number, "publish")
    with get_runtime(app).db.session() as session:
        assert session.get(DisclosureItem, item_id).status == "已废止"  # type: ignore[union-attr]


def test_review_can_be_turned_off_for_a_one_person_office(make_app) -> None:
    app = make_app(ADMIN_REVIEW="0")
    response = post_new(logged_in(app, Role.EDITOR, "编辑甲"))
    assert re.fullmatch(r"/admin/faq/\d+", response.headers["Location"])
    assert "书面申请" in served(app, "吃低保去哪里办")


def test_an_editors_wording_from_the_queue_waits_for_review_and_leaves_the_queue(
        app: Flask, editor: FlaskClient, reviewer: FlaskClient) -> None:
    add_knowledge(get_runtime(app), faqs=[HOUSE, OTHER, *MORE])
    citizen(app, UNANSWERED)
    link = first_group_link(editor)
    with get_runtime(app).db.session() as session:
        house_id = session.scalar(select(FaqEntry.id).where(FaqEntry.question == HOUSE[0]))
    assert house_id is not None
    response = editor.post(link.replace("?", "/similar?"), data={
        "csrf_token": token(editor, link), "entry_id": str(house_id), "wording": [UNANSWERED]})
    assert "已提交审核" in editor.get(response.headers["Location"]).get_data(as_text=True)
    assert UNANSWERED not in editor.get("/admin/queue").get_data(as_text=True)
    assert live_faq(app, house_id).similar == []
    assert "镇政府审核" not in served(app, UNANSWERED)
    with get_runtime(app).db.session() as session:
        number = session.scalars(select(PendingChange.id)).one()
    decide(reviewer, number, "publish")
    assert live_faq(app, house_id).similar == [UNANSWERED]
    assert "镇政府审核" in served(app, UNANSWERED)


def test_the_editors_form_keeps_the_fields_a_partial_pending_change_leaves_alone(
        app: Flask, editor: FlaskClient) -> None:
    db = get_runtime(app).db
    faq_id = KbEditor(db, editor="审核乙").save_faq(FaqData(NEW["question"], "答案。", category="社会救助")).id
    KbEditor(db, editor="编辑甲", review=True).save_faq(FaqData(NEW["question"], "答案。", similar=["低保去哪办"]),
                                                      faq_id=faq_id)  # as the queue's 加入相似问法 does
    html = editor.get(f"/admin/faq/{faq_id}").get_data(as_text=True)
    assert "您提交的待审核修改" in html and "低保去哪办" in html
    assert 'name="category" value="社会救助"' in html
