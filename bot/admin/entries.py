"""The actions FAQ entries and disclosure items share, written once: one `EntryPages` per kind.

`bot.admin.faq` and `bot.admin.items` each build an `EntryPages` with their blueprint, fields
and hooks; `register()` adds the same routes to both, keeping each kind's URLs and endpoint
names (`/admin/faq/<faq_id>/disable` → `admin_faq.disable`, `/admin/items/<item_id>/…`):

- `GET /new`, `POST /new` (create: 303 to the entry's page, or to its pending change when an
  editor's save waits for review), `GET /<id>`, `POST /<id>` (save; a save over someone else's
  newer revision is refused with 409 and the typed text kept);
- `POST /<id>/disable`, `/enable`, `/delete` (reviewers).

A failed save re-renders the form with the typed text and the message next to its field
(400). The form templates share their pieces through `admin/_entry.html` macros. Every save
goes through `kb_editor()`, which under review (`ADMIN_REVIEW`) turns an editor's save into a
pending change (`knowledge.pending`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from bot.admin.accounts import Role
from bot.admin.security import kb_editor, require, staff_name, take_draft
from bot.runtime import get_runtime
from knowledge import pending
from knowledge.editor import TRASH_DAYS, EditError, EditResult, FaqData, ItemData, KbEditor
from knowledge.models import DisclosureItem, FaqEntry, PendingChange
from knowledge.revisions import ACTION_LABELS, history

Row = FaqEntry | DisclosureItem
Data = FaqData | ItemData


@dataclass
class EntryPages:
    """Routes and form handling for one kind of entry; the hooks say what differs."""

    bp: Blueprint
    kind: str  # "faq" | "item", as revisions and pending changes name it
    model: type[FaqEntry] | type[DisclosureItem]
    label: str  # 问答 / 公开信息
    arg: str  # faq_id / item_id
    template: str
    fields: Sequence[str]
    form_of: Callable[[Any], dict[str, str]]  # a row (or None) → form values
    data_of: Callable[[dict[str, str]], Data]
    status_of: Callable[[Any], tuple[str, str]]
    save: Callable[[KbEditor, Data, int | None], EditResult]  # (editor, data, id or None for a new one)
    set_enabled: Callable[[KbEditor, int, bool], object]
    delete: Callable[[KbEditor, int], bool]
    form_of_pending: Callable[[dict[str, Any]], dict[str, str]]  # stored save data → the form values it gives
    context: Callable[[Any, dict[str, str]], dict[str, Any]] = field(default=lambda _row, _form: {})

    # -- URLs and loading --------------------------------------------------------------------

    def url(self, endpoint: str, entity_id: int | None = None, **args: Any) -> str:
        if entity_id is not None:
            args[self.arg] = entity_id
        return url_for(f"{self.bp.name}.{endpoint}", **args)

    def load(self, entity_id: int) -> tuple[Row, int]:
        """The row (404 if none) and its newest revision id, the base a save is compared with."""
        with get_runtime().db.session() as session:
            row: Row | None = session.get(self.model, entity_id)  # type: ignore[assignment]
            if row is None:
                abort(404)
            return row, pending.latest_revision(session, self.kind, entity_id)

    def posted(self) -> dict[str, str]:
        return {name: request.form.get(name, "") for name in self.fields}

    def render(self, row: Row | None, form: dict[str, str], *, error: EditError | None = None, status: int = 200,
               base_revision: int = 0, own_pending: PendingChange | None = None) -> Response:
        with get_runtime().db.session() as session:
            revisions = history(session, self.kind, row.id) if row is not None else []
            waiting = pending.waiting_for(session, self.kind, row.id) if row is not None else []
            decided = pending.decided_for(session, self.kind, row.id) if row is not None else []
        page = render_template(
            self.template, row=row, form=form, error=error, revisions=revisions, base_revision=base_revision,
            status_of=self.status_of, action_labels=ACTION_LABELS, trash_days=TRASH_DAYS, pages=self,
            waiting=waiting, decided=decided, own_pending=own_pending, status_labels=pending.STATUS_LABELS,
            **self.context(row, form))
        return Response(page, status=status)

    # -- views ---------------------------------------------------------------------------------

    def new(self) -> ResponseReturnValue:
        form = dict.fromkeys(self.fields, "")
        form.update({k: request.args.get(k, "") for k in self.fields if request.args.get(k)})
        form.update(take_draft() or {})
        return self.render(None, form)

    def create(self) -> ResponseReturnValue:
        form = self.posted()
        if request.form.get("action") == "preview":
            return self.render(None, form)
        try:
            result = self.save(kb_editor(), self.data_of(form), None)
        except EditError as error:
            return self.render(None, form, error=error, status=400)
        if result.pending is not None:
            flash(f"已提交审核（待审核 #{result.pending}）：审核人发布后群众才能搜到这条{self.label}。")
            return redirect(url_for("admin_review.show", change_id=result.pending), code=303)
        flash(f"已保存{self.label} {result.id}，群众几秒内就能搜到。")
        return redirect(self.url("edit", result.id), code=303)

    def _own_pending(self, entity_id: int) -> PendingChange | None:
        """The logged-in editor's own pending change of this entry: the text they are working on."""
        with get_runtime().db.session() as session:
            mine = [c for c in pending.waiting_for(session, self.kind, entity_id) if c.submitted_by == staff_name()]
        return mine[-1] if mine else None

    def edit(self, entity_id: int) -> ResponseReturnValue:
        row, revision = self.load(entity_id)
        form = self.form_of(row)
        own = self._own_pending(entity_id)
        values = pending.form_values(own) if own is not None else None
        if values is not None:
            form.update(self.form_of_pending(values))
        form.update(take_draft() or {})
        return self.render(row, form, base_revision=revision, own_pending=own if values is not None else None)

    def update(self, entity_id: int) -> ResponseReturnValue:
        row, revision = self.load(entity_id)
        form = self.posted()
        base = request.form.get("base_revision", "")
        if request.form.get("action") == "preview":
            return self.render(row, form, base_revision=int(base) if base.isdigit() else revision)
        if base.isdigit() and int(base) != revision:
            error = EditError(f"保存前别人已经修改了这条{self.label}。您填写的内容仍在下面；请查看右侧的修改记录，"
                              "确认后再次保存（将覆盖对方的修改）。", field=self.fields[0])
            return self.render(row, form, error=error, status=409, base_revision=revision)
        try:
            result = self.save(kb_editor(), self.data_of(form), entity_id)
        except EditError as error:
            return self.render(row, form, error=error, status=400, base_revision=revision)
        if result.pending is not None:
            flash(f"已提交审核（待审核 #{result.pending}）。审核人发布前，群众看到的仍是原来的内容。")
        else:
            flash("已保存。" if result.change != "unchanged" else "内容没有变化，未保存新版本。")
        return redirect(self.url("edit", entity_id), code=303)

    def _set_enabled(self, entity_id: int, enabled: bool) -> ResponseReturnValue:
        try:
            self.set_enabled(kb_editor(), entity_id, enabled)
        except EditError as error:
            flash(str(error), "warn")
        else:
            flash(f"已启用，群众可以搜到这条{self.label}。" if enabled else f"已停用，群众不会再看到这条{self.label}。")
        return redirect(self.url("edit", entity_id), code=303)

    def disable(self, entity_id: int) -> ResponseReturnValue:
        return self._set_enabled(entity_id, False)

    def enable(self, entity_id: int) -> ResponseReturnValue:
        return self._set_enabled(entity_id, True)

    def remove(self, entity_id: int) -> ResponseReturnValue:
        if self.delete(kb_editor(), entity_id):
            flash(f"{self.label} {entity_id} 已移到回收站，{TRASH_DAYS} 天内可以恢复。")
        return redirect(self.url("index"), code=303)

    def register(self) -> None:
        """Add the shared routes to the blueprint, each with its least role."""
        one = f"/<int:{self.arg}>"
        routes: list[tuple[str, str, str, Role, Callable[..., ResponseReturnValue]]] = [
            ("/new", "new", "GET", Role.EDITOR, self.new),
            ("/new", "create", "POST", Role.EDITOR, self.create),
            (one, "edit", "GET", Role.EDITOR, self.edit),
            (one, "update", "POST", Role.EDITOR, self.update),
            (f"{one}/disable", "disable", "POST", Role.REVIEWER, self.disable),
            (f"{one}/enable", "enable", "POST", Role.REVIEWER, self.enable),
            (f"{one}/delete", "delete", "POST", Role.REVIEWER, self.remove),
        ]
        for rule, endpoint, method, role, view in routes:
            self.bp.add_url_rule(rule, endpoint, require(role)(self._by_id(view)), methods=[method])

    def _by_id(self, view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
        """Flask passes the id under the kind's own name (faq_id / item_id)."""
        arg = self.arg

        def wrapped(**kwargs: int) -> ResponseReturnValue:
            return view(kwargs[arg]) if arg in kwargs else view()

        wrapped.__name__ = view.__name__
        return wrapped
