"""Login, logout and the workspace's front page; also the Chinese error pages for /admin."""

from __future__ import annotations

import datetime
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from bot.admin import audit
from bot.admin.accounts import Role, authenticate
from bot.admin.security import current_staff, log_in, log_out, require
from bot.runtime import get_runtime

bp = Blueprint("admin_auth", __name__, url_prefix="/admin", template_folder="templates",
               static_folder="static", static_url_path="/static")


def _safe_next(target: str | None) -> str:
    """Only a path inside /admin: never an open redirect to another site."""
    if not target:
        return url_for("admin_auth.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/admin") or target.startswith("//"):
        return url_for("admin_auth.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    next_url = request.values.get("next", "")
    if request.method == "GET":
        if current_staff() is not None:
            return redirect(_safe_next(next_url))
        return render_template("admin/login.html", message="", next=next_url, username="")
    name = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    runtime = get_runtime()
    settings = runtime.settings
    result = authenticate(runtime.db, name, password, max_failures=settings.admin_lockout_attempts,
                          lockout=datetime.timedelta(minutes=settings.admin_lockout_minutes))
    if result.staff is None:
        audit.record(runtime.db, name[:100] or None, "login_failed", detail=result.message)
        page = render_template("admin/login.html", message=result.message, next=next_url, username=name)
        return Response(page, status=401)
    log_in(result.staff)
    audit.record(runtime.db, result.staff.name, "login")
    return redirect(_safe_next(next_url), code=303)


@bp.post("/logout")
@require(Role.VIEWER)
def logout() -> ResponseReturnValue:
    staff = current_staff()
    if staff is not None:
        audit.record(get_runtime().db, staff.name, "logout")
    log_out()
    return redirect(url_for("admin_auth.login"), code=303)


@bp.get("/")
@require(Role.VIEWER)
def home() -> ResponseReturnValue:
    """The first page of the navigation this person may open."""
    from bot.admin import _nav

    first = next((url for _item, url in _nav() if url), None)
    return redirect(first or url_for("admin_auth.welcome"))


@bp.get("/welcome")
@require(Role.VIEWER)
def welcome() -> str:
    return render_template("admin/welcome.html")


def _error_page(error: HTTPException) -> Response | HTTPException:
    if not request.path.startswith("/admin"):
        return error
    titles = {400: "请求无效", 401: "请先登录", 403: "没有权限", 404: "找不到页面", 405: "不支持的操作",
              413: "文件太大"}
    page = render_template("admin/error.html", code=error.code, title=titles.get(error.code or 500, "出错了"),
                           description=error.description if error.code in {400, 403, 413} else "")
    return Response(page, status=error.code)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    for code in (400, 401, 403, 404, 405, 413):
        app.register_error_handler(code, _error_page)
