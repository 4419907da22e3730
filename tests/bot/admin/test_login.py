"""Login, logout, session cookie, idle timeout, lockout and the audit of logins, through HTTP."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from bot.admin.accounts import Role
from bot.runtime import get_runtime
from knowledge.models import AuditEvent
from tests.admin_support import PASSWORD, csrf_from, logged_in, login, make_staff, token
from tests.support import FakeClock


def audit_actions(app: Flask) -> list[tuple[str | None, str]]:
    with get_runtime(app).db.session() as session:
        return [(e.actor, e.action) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_the_login_page_has_the_form_contract_fields(app: Flask) -> None:
    html = app.test_client().get("/admin/login").get_data(as_text=True)
    assert 'name="username"' in html and 'name="password"' in html and csrf_from(html)
    assert "工作人员登录" in html


def test_logging_in_redirects_303_to_the_page_asked_for(app: Flask) -> None:
    client = app.test_client()
    name = make_staff(app, role=Role.REVIEWER)
    first = client.get("/admin/audit")
    assert first.status_code == 302 and "next=/admin/audit" in first.headers["Location"]
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    response = client.post("/admin/login", data={"username": name, "password": PASSWORD, "next": "/admin/audit",
                                                 "csrf_token": csrf_from(page)})
    assert (response.status_code, response.headers["Location"]) == (303, "/admin/audit")
    assert client.get("/admin/audit").status_code == 200


def test_login_never_redirects_to_another_site(app: Flask) -> None:
    client = app.test_client()
    name = make_staff(app)
    csrf = csrf_from(client.get("/admin/login").get_data(as_text=True))
    response = client.post("/admin/login", data={"username": name, "password": PASSWORD,
                                                 "next": "https://evil.example/admin", "csrf_token": csrf})
    assert response.headers["Location"].startswith("/admin")


def test_a_wrong_password_shows_a_chinese_message_and_keeps_the_name(app: Flask) -> None:
    client = app.test_client()
    make_staff(app, "张三")
    response = login(client, "张三", "wrong-password")
    html = response.get_data(as_text=True)
    assert response.status_code == 401 and "用户名或密码不正确" in html and 'value="张三"' in html


def test_the_session_cookie_is_httponly_samesite_and_scoped_to_admin(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/admin/login")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/admin" in cookie
    assert "Secure" not in cookie


def test_the_cookie_is_secure_when_configured_for_https(make_app) -> None:
    app = make_app(ADMIN_COOKIE_SECURE="1")
    assert "Secure" in app.test_client().get("/admin/login").headers["Set-Cookie"]


def test_logout_ends_the_session(app: Flask) -> None:
    client = logged_in(app, Role.REVIEWER)
    csrf = token(client, "/admin/audit")
    assert client.post("/admin/logout", data={"csrf_token": csrf}).status_code == 303
    assert client.get("/admin/audit").status_code == 302


def test_an_idle_session_expires_and_a_busy_one_does_not(make_app) -> None:
    app = make_app(ADMIN_IDLE_MINUTES="30")
    clock = FakeClock()
    app.config["ADMIN_CLOCK"] = clock
    client = logged_in(app, Role.REVIEWER)
    for _ in range(3):
        clock.now += 29 * 60
        assert client.get("/admin/audit").status_code == 200
    clock.now += 31 * 60
    assert client.get("/admin/audit").status_code == 302


def test_five_wrong_passwords_lock_the_account(make_app) -> None:
    app = make_app(ADMIN_LOCKOUT_ATTEMPTS="5")
    client = app.test_client()
    make_staff(app, "张三")
    for _ in range(5):
        login(client, "张三", "wrong-password")
    response = login(client, "张三", PASSWORD)
    assert response.status_code == 401 and "锁定" in response.get_data(as_text=True)


def test_logins_and_failed_logins_are_audited(app: Flask) -> None:
    make_staff(app, "张三")
    login(app.test_client(), "张三", "wrong-password")
    login(app.test_client(), "张三")
    assert audit_actions(app) == [("张三", "login_failed"), ("张三", "login")]


def test_the_password_is_never_in_the_audit_trail(app: Flask) -> None:
    make_staff(app, "张三")
    login(app.test_client(), "张三", "typo-of-the-password")
    with get_runtime(app).db.session() as session:
        details = " ".join(e.detail for e in session.scalars(select(AuditEvent)))
    assert "typo-of-the-password" not in details


def test_the_navigation_is_chinese_and_follows_the_role(app: Flask) -> None:
    reviewer = logged_in(app, Role.REVIEWER, "审核")
    html = reviewer.get("/admin/audit").get_data(as_text=True)
    for label in ("FAQ", "公开事项", "导入", "命中测试", "群众提问", "待处理", "报表", "审计"):
        assert label in html
    viewer = logged_in(app, Role.VIEWER, "查看")
    html = viewer.get("/admin/welcome").get_data(as_text=True)
    assert "审计" not in html and "命中测试" not in html


def test_admin_error_pages_are_chinese_and_the_webhook_keeps_its_own(app: Flask) -> None:
    client = logged_in(app, Role.REVIEWER)
    assert "找不到页面" in client.get("/admin/no-such-page").get_data(as_text=True)
    assert "找不到页面" not in app.test_client().get("/no-such-page").get_data(as_text=True)


def test_admin_pages_cannot_be_framed_or_cached(app: Flask) -> None:
    headers = app.test_client().get("/admin/login").headers
    assert headers["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store" and headers["X-Content-Type-Options"] == "nosniff"
