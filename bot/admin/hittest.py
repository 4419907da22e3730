"""命中测试: type a question, see exactly what a citizen would get and why (see `bot.admin.probe`)."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template, request

from bot.admin.accounts import Role
from bot.admin.probe import probe
from bot.admin.security import require
from bot.runtime import get_runtime

bp = Blueprint("admin_hittest", __name__, url_prefix="/admin/hittest")
QUESTION_LIMIT = 500


@bp.get("")
@require(Role.EDITOR)
def index() -> str:
    question = request.args.get("q", "").strip()[:QUESTION_LIMIT]
    before = request.args.get("before", "").strip()[:QUESTION_LIMIT]  # a follow-up is tested after it
    found = probe(get_runtime(), question, before=before) if question else None
    return render_template("admin/hittest.html", question=question, before=before, found=found)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
