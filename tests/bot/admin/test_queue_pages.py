"""The 待处理 pages: a citizen's unanswered question becomes a 相似问法 and is then answered by the webhook."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bot.admin.accounts import Role
from bot.questionlog_table import QueueMark
from bot.runtime import get_runtime
from knowledge.document import Hit, SearchResult
from knowledge.models import FaqEntry
from tests.admin_support import csrf_from, logged_in
from tests.support import add_knowledge, ask

HOUSE = ("农村宅基地建房审批流程", "先向村委会提出建房申请，经镇政府审核后，报县自然资源局审批。")
OTHER = ("最低生活保障怎么申请", "向户籍所在地的镇人民政府提出书面申请，并提供家庭收入和财产状况证明。")
UNANSWERED = "盖新房子要办什么手续"
# Enough other entries for BM25's document frequencies to mean something.
MORE = [
    ("农村危房改造补助标准是多少", "农村危房改造补助按改造方式分档，具体标准以县住建局当年公布的文件为准。"),
    ("临时救助向哪里申请", "临时救助向户籍所在地或居住地的镇人民政府申请，急难情形可先行救助。"),
    ("政府信息公开申请多久答复", "能够当场答复的当场答复；不能当场答复的，自收到申请之日起20个工作日内答复。"),
    ("社保卡丢了怎么补办", "社保卡遗失后先挂失，再携带身份证到社保经办网点或合作银行网点补办。"),
    ("新生儿怎么办理户口登记", "新生儿出生后一个月内，由监护人持出生医学证明和户口簿到派出所申报户口。"),
    ("残疾证怎么办理", "携带身份证、户口簿和照片到县残联申请，经指定医院评定后发证。"),
    ("城乡居民医保怎么缴费", "每年九月至十二月通过税务缴费渠道缴纳下一年度的城乡居民医保费。"),
    ("土地承包经营权可以流转吗", "承包方可以依法采取出租、入股等方式流转土地经营权，并向发包方备案。"),
]


def citizen(app: Flask, text: str, user: str = "openid-a") -> str:
    reply = ask(app.test_client(), text, user=user)
    get_runtime(app).questions.flush()
    return reply


def first_group_link(client: FlaskClient) -> str:
    html = client.get("/admin/queue").get_data(as_text=True)
    found = re.search(r'href="(/admin/queue/[0-9a-f]{40}\?days=30)"', html)
    assert found is not None, "no group in the queue"
    return found.group(1)


def test_unanswered_questions_are_listed_most_asked_first(app: Flask) -> None:
    add_knowledge(get_runtime(app), faqs=[HOUSE, OTHER, *MORE])
    for n in range(3):
        citizen(app, UNANSWERED, user=f"u{n}")
    citizen(app, "路灯坏了找谁修")
    html = logged_in(app, Role.EDITOR).get("/admin/queue").get_data(as_text=True)
    assert html.index(UNANSWERED) < html.index("路灯坏了找谁修")
    assert '<td class="num">3</td>' in html and "未回答 3" in html


def test_a_wording_added_as_similar_question_is_answered_through_the_webhook(app: Flask) -> None:
    runtime = get_runtime(app)
    add_knowledge(runtime, faqs=[HOUSE, OTHER, *MORE])
    assert "镇政府审核" not in citizen(app, UNANSWERED)
    client = logged_in(app, Role.REVIEWER)  # publishes at once; an editor's addition waits (test_review.py)
    link = first_group_link(client)
    page = client.get(link).get_data(as_text=True)
    assert UNANSWERED in page
    with runtime.db.session() as session:
        house_id = session.scalar(select(FaqEntry.id).where(FaqEntry.question == HOUSE[0]))
    response = client.post(link.replace("?", "/similar?"), data={
        "csrf_token": csrf_from(page), "entry_id": str(house_id), "wording": [UNANSWERED]})
    assert response.status_code == 303
    assert UNANSWERED not in client.get("/admin/queue").get_data(as_text=True)
    runtime.kb.maybe_reload(wait=True)
    assert "镇政府审核" in citizen(app, UNANSWERED, user="openid-b")
    with runtime.db.session() as session:
        assert session.scalar(select(QueueMark.action)) == "similar"


def test_new_faq_from_a_group_is_prefilled_and_an_empty_answer_is_refused_in_chinese(app: Flask) -> None:
    add_knowledge(get_runtime(app), faqs=[OTHER, *MORE])
    citizen(app, "路灯坏了找谁修")
    client = logged_in(app, Role.REVIEWER)
    link = first_group_link(client)
    page = client.get(link).get_data(as_text=True)
    assert 'name="question" value="路灯坏了找谁修"' in page
    refused = client.post(link.replace("?", "/new?"), data={"csrf_token": csrf_from(page), "question": "路灯坏了找谁修",
                                                            "answer": ""})
    assert refused.status_code == 400 and "答案不能为空" in refused.get_data(as_text=True)
    saved = client.post(link.replace("?", "/new?"), data={"csrf_token": csrf_from(page), "question": "路灯坏了找谁修",
                                                          "answer": "拨打镇城管办电话报修。", "similar": "路灯不亮"})
    assert saved.status_code == 303
    with get_runtime(app).db.session() as session:
        entry = session.scalar(select(FaqEntry).where(FaqEntry.question == "路灯坏了找谁修"))
        assert entry is not None and entry.similar == ["路灯不亮"] and entry.editor == "reviewer-user"
    assert "路灯坏了找谁修" not in client.get("/admin/queue").get_data(as_text=True)


def test_dismissing_a_group_takes_it_off_the_queue(app: Flask) -> None:
    citizen(app, "你们好")
    client = logged_in(app, Role.EDITOR)
    link = first_group_link(client)
    page = client.get(link).get_data(as_text=True)
    assert client.post(link.replace("?", "/dismiss?"), data={"csrf_token": csrf_from(page)}).status_code == 303
    assert "没有待处理的提问" in client.get("/admin/queue").get_data(as_text=True)


def test_a_viewer_cannot_handle_the_queue(app: Flask) -> None:
    assert logged_in(app, Role.VIEWER).get("/admin/queue").status_code == 403


def logged_near(app: Flask, wording: str, near_question: str) -> None:
    """An unanswered question whose nearest hit was the entry with `near_question`."""
    runtime = get_runtime(app)
    with runtime.db.session() as session:
        entry_id = session.scalar(select(FaqEntry.id).where(FaqEntry.question == near_question))
    doc = runtime.kb.document(f"faq:{entry_id}")
    assert doc is not None
    result = SearchResult(wording, tuple(runtime.kb.analyze(wording)), (Hit(doc, 1.0, ()),), answered=False)
    runtime.questions.record(openid="openid-a", message_key=None, question=wording, result=result,
                             answered=False, reply_kind="not_found", latency_ms=1.0)
    runtime.questions.flush()


def test_the_nearest_entry_is_shown_only_when_it_shares_a_topic_word(app: Flask) -> None:
    add_knowledge(get_runtime(app), faqs=[OTHER, *MORE])
    get_runtime(app).kb.maybe_reload(wait=True)
    logged_near(app, UNANSWERED, "新生儿怎么办理户口登记")  # shares only 办 and 手续-like words
    logged_near(app, "低保申请要什么条件", OTHER[0])  # shares 最低生活保障
    html = logged_in(app, Role.EDITOR).get("/admin/queue").get_data(as_text=True)
    assert UNANSWERED in html and "低保申请要什么条件" in html
    assert "新生儿怎么办理户口登记" not in html
    assert OTHER[0] in html


def test_the_nearest_entry_sharing_a_domain_verb_of_the_knowledge_base_is_shown(app: Flask) -> None:
    """停车 is tagged a verb, but this knowledge base writes 停车场 and 停车位: it names the topic
    for staff as it does for citizens (`knowledge.topicwords.domain_verbs`)."""
    parking = ("道路停车收费标准是什么", "停车场和道路停车位按区域分类收费，一类地区首小时10元。")
    add_knowledge(get_runtime(app), faqs=[parking, OTHER, *MORE])
    get_runtime(app).kb.maybe_reload(wait=True)
    logged_near(app, "路边停车三环以内咋交钱", parking[0])
    html = logged_in(app, Role.EDITOR).get("/admin/queue").get_data(as_text=True)
    assert "路边停车三环以内咋交钱" in html and parking[0] in html
