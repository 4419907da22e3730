"""学习建议: 相似问法 suggested by citizens' choices (`bot.learning`), for staff to approve or reject.

Viewers see the suggestions with their evidence (distinct citizens, their share of the group,
picks, masked example wordings); editors decide. Approving writes through the one write path
(`knowledge.editor`: revision and audit event); rejecting is recorded in the audit trail and
the suggestion is never made again.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from bot import learning
from bot.admin import audit
from bot.admin.accounts import Role
from bot.admin.security import require, review_required, staff_name
from bot.runtime import get_runtime
from knowledge.editor import EditError

log = logging.getLogger(__name__)

bp = Blueprint("admin_learning", __name__, url_prefix="/admin/learning")

DECIDED = ("approved", "auto", "submitted", "rejected")
DECIDED_SHOWN = 30


@bp.get("")
@require(Role.VIEWER)
def index() -> str:
    runtime = get_runtime()
    threshold = learning.Threshold()
    if runtime.learning is not None:
        threshold = runtime.learning.threshold
        try:  # evidence that settled since the last pick: shown now rather than at the next pick
            runtime.learning.refresh()
        except Exception:
            log.exception("learning: refresh failed; showing the suggestions already made")
    return render_template("admin/learning.html", waiting=learning.suggestions(runtime.db),
                           decided=learning.suggestions(runtime.db, DECIDED, limit=DECIDED_SHOWN),
                           threshold=threshold, settings=runtime.settings)


@bp.post("/<int:suggestion_id>/approve")
@require(Role.EDITOR)
def approve(suggestion_id: int) -> ResponseReturnValue:
    try:
        result = learning.approve(get_runtime().db, suggestion_id, staff_name(), review=review_required())
    except EditError as exc:
        flash(str(exc), "warn")
    else:
        if result.pending is not None:
            flash(f"已提交审核：问答 {result.entry_id} 加入这条相似问法，审核人发布后生效。")
        else:
            flash(f"已加入问答 {result.entry_id} 的相似问法，几秒内生效。")
    return redirect(url_for(".index"), code=303)


@bp.post("/<int:suggestion_id>/reject")
@require(Role.EDITOR)
def reject(suggestion_id: int) -> ResponseReturnValue:
    db = get_runtime().db
    try:
        decided = learning.reject(db, suggestion_id, staff_name())
    except EditError as exc:
        flash(str(exc), "warn")
    else:
        audit.record(db, staff_name(), "learning.reject", target_kind="faq", target_id=decided.entry_id,
                     detail=f"不采纳相似问法建议：{decided.wording}")
        flash("已不采纳这条建议，以后不会再建议。")
    return redirect(url_for(".index"), code=303)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
