"""The guard in front of every /admin request: login, idle timeout, CSRF, roles, kept drafts.

Secure by default: `guard` runs before *every* request under /admin, so a new route is
protected without anyone remembering to protect it; only endpoints listed in `PUBLIC` (login,
static files) are open. Pages (GET) redirect to the login page; actions (POST …) answer 401
when nobody is logged in and 403 when the role is too low.

CSRF: a random per-session token (`secrets.token_urlsafe`), sent back in the hidden form field
`csrf_token` (or the `X-CSRF-Token` header) and compared in constant time. It is a dozen lines
we test directly rather than Flask-WTF's CSRFProtect, because the forms here are plain Jinja
forms and the guard must order the checks itself (an expired login must keep the typed text,
which needs the login check before the CSRF check).

Expired login on a form post: the posted fields (never the password or token) are kept as a
draft in the database, the login page is shown with 401, and after logging in the form opens
again with the text filled in (`take_draft`).
"""

from __future__ import annotations

import datetime
import functools
import hmac
import json
import secrets
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, abort, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import delete

from bot.admin.accounts import Role, Staff, get_staff
from bot.runtime import get_runtime
from knowledge.editor import KbEditor
from knowledge.models import StaffDraft, utcnow

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC = {"admin_auth.login", "admin_auth.static"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
_NOT_KEPT = {"csrf_token", "password"}
DRAFT_DAYS = 1
# Staff forms carry long answers, URL-encoded at 9 bytes per Chinese character; the webhook's
# small MAX_BODY_BYTES would refuse a 7,000-character answer. Upload views may raise it further.
ADMIN_MAX_BYTES = 2 * 1024 * 1024
# Endpoints with a body limit of their own (file uploads), registered by their area's init_app.
BODY_LIMITS: dict[str, Callable[[], int]] = {}


def clock() -> float:
    """Wall-clock seconds; tests replace `app.config["ADMIN_CLOCK"]` to move time."""
    from flask import current_app

    return current_app.config.get("ADMIN_CLOCK", time.time)()


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def _csrf_ok() -> bool:
    expected = session.get("csrf")
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    return bool(expected) and hmac.compare_digest(str(expected), str(sent))


def current_staff() -> Staff | None:
    return g.get("staff")


def staff_name() -> str | None:
    """Who is acting, as revisions and the audit trail name them."""
    staff = current_staff()
    return staff.name if staff else None


def review_required() -> bool:
    """Whether the logged-in person's knowledge-base saves wait for a reviewer (`ADMIN_REVIEW`)."""
    staff = current_staff()
    return get_runtime().settings.admin_review and not (staff is not None and staff.may(Role.REVIEWER))


def kb_editor() -> KbEditor:
    """The one write path, acting for the logged-in staff member (revisions say 后台).

    Under review an editor's saves become pending changes; a reviewer's publish directly.
    """
    return KbEditor(get_runtime().db, editor=staff_name(), source="后台", review=review_required())


def log_in(staff: Staff) -> None:
    """Start a fresh session (new CSRF token too), so a session fixed before login is worthless.

    Only a kept draft survives: it is what the person typed before their login expired.
    """
    draft = session.get("draft")
    session.clear()
    session.update(staff_id=staff.id, seen=clock(), csrf=secrets.token_urlsafe(32))
    if draft:
        session["draft"] = draft


def log_out() -> None:
    session.clear()


def _load_staff() -> tuple[Staff | None, bool]:
    """The logged-in staff member and whether a login just expired by idling."""
    staff_id = session.get("staff_id")
    if staff_id is None:
        return None, False
    idle = get_runtime().settings.admin_idle_minutes * 60
    if clock() - float(session.get("seen", 0)) > idle:
        session.pop("staff_id", None)
        return None, True
    staff = get_staff(get_runtime().db, int(staff_id))
    if staff is None:
        session.pop("staff_id", None)
        return None, True
    session["seen"] = clock()
    return staff, False


def _keep_draft() -> None:
    fields = {k: request.form.getlist(k) for k in request.form if k not in _NOT_KEPT}
    if not any(v.strip() for values in fields.values() for v in values):
        return
    token = secrets.token_urlsafe(24)
    db = get_runtime().db
    with db.session() as s:
        s.execute(delete(StaffDraft).where(StaffDraft.created_at < utcnow() - datetime.timedelta(days=DRAFT_DAYS)))
        s.add(StaffDraft(token=token, path=request.path, form_json=json.dumps(fields, ensure_ascii=False),
                         created_at=utcnow()))
    session["draft"] = token


def take_draft() -> dict[str, str] | None:
    """The form kept for this page when its post arrived after the login expired (once)."""
    token = session.get("draft")
    if not token:
        return None
    with get_runtime().db.session() as s:
        row = s.get(StaffDraft, token)
        if row is None or row.path != request.path:
            return None
        s.delete(row)
        session.pop("draft", None)
        return {k: "\n".join(v) if len(v) > 1 else (v[0] if v else "") for k, v in json.loads(row.form_json).items()}


def _login_page(status: int, message: str) -> Response:
    response = Response(render_template("admin/login.html", message=message, next=request.path,
                                        username=""), status=status)
    return response


def guard() -> ResponseReturnValue | None:
    """before_request for /admin: see the module docstring for the order of checks."""
    if not request.path.startswith("/admin"):
        return None
    limit = BODY_LIMITS.get(request.endpoint or "")
    request.max_content_length = limit() if limit else ADMIN_MAX_BYTES
    staff, expired = _load_staff()
    g.staff = staff
    if request.endpoint in PUBLIC:
        if request.method not in SAFE_METHODS and not _csrf_ok():
            return _login_page(400, "页面已过期，请重新登录")
        return None
    if staff is None:
        if request.method in SAFE_METHODS:
            return redirect(url_for("admin_auth.login", next=request.full_path.rstrip("?")))
        _keep_draft()
        note = "登录已超时，您填写的内容已保存，重新登录后会自动填回" if session.get("draft") else "请先登录"
        return _login_page(401, note if expired or session.get("draft") else "请先登录")
    if request.method not in SAFE_METHODS and not _csrf_ok():
        abort(400, description="表单已过期或来源不明（缺少有效的 csrf_token），请刷新页面后再提交")
    return None


def require(role: Role) -> Callable[[F], F]:
    """The least role a view needs; login itself is already checked by `guard`."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            staff = current_staff()
            if staff is None:  # only if a view is reached outside /admin
                abort(401)
            if not staff.may(role):
                abort(403, description=f"需要“{role.label}”或更高的权限")
            return view(*args, **kwargs)

        wrapped.min_role = role  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorate


def _headers(response: Response) -> Response:
    """No framing (clickjacking), no MIME sniffing, no admin URLs leaked in Referer; pages may add a CSP."""
    if request.path.startswith("/admin"):
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'; form-action 'self'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint != "admin_auth.static":  # staff data never sits in a shared cache
            response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    settings = get_runtime(app).settings
    app.config.update(
        SESSION_COOKIE_NAME="zwgk_admin",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.admin_cookie_secure,
        SESSION_COOKIE_PATH="/admin",
    )
    app.before_request(guard)
    app.after_request(_headers)
    app.jinja_env.globals.update(csrf_token=csrf_token, current_staff=current_staff, Role=Role,
                                  review_required=review_required)
