"""`flask kb pending|publish|reject`: the 待审核 queue from the command line.

The command line acts as a reviewer (whoever runs it can write to the database anyway): its
own edits publish directly, and these commands decide editors' pending changes through the
same code as the admin's 待审核 page (`knowledge.review`), with the same revisions and audit
events.
"""

from __future__ import annotations

import click
from sqlalchemy import select

from bot.cli.errors import CommandFailed, runtime_with_schema
from bot.cli.kb import _EDITOR, _default_editor, group
from knowledge import pending, review
from knowledge.editor import EditError
from knowledge.models import PendingChange

_ID = click.argument("change_id", type=click.IntRange(min=1), metavar="编号")


@group.command("pending")
def pending_command() -> None:
    """列出等待审核的修改（编辑在后台提交、尚未发布的）。"""
    with runtime_with_schema().db.session() as session:
        rows = list(session.scalars(select(PendingChange).where(PendingChange.status == "pending")
                                    .order_by(PendingChange.id)))
    for change in rows:
        click.echo(f"#{change.id}\t{change.submitted_at:%Y-%m-%d %H:%M}\t{change.submitted_by or '—'}\t"
                   f"{change.count} 条\t{change.title}")
    click.echo(f"共 {len(rows)} 项待审核。" + ("用 kb publish 编号 发布，kb reject 编号 --reason 理由 退回。"
                                             if rows else ""))


@group.command("publish")
@_ID
@_EDITOR
def publish_command(change_id: int, editor: str | None) -> None:
    """发布一项待审核的修改：按提交的内容写入知识库，群众几秒内就能看到。"""
    db = runtime_with_schema().db
    with db.session() as session:
        change = pending.get(session, change_id)
        records = pending.records_of(change) if change is not None else []
    try:
        changed = review.publish(db, change_id, editor or _default_editor())
    except EditError as error:
        raise CommandFailed(f"无法发布 #{change_id}：{error}") from error
    for record in records:
        click.echo(f"  {record.title}")
    click.echo(f"已发布 #{change_id}，改动 {changed} 条。" + ("正在运行的服务会在几秒内自动载入。" if changed else ""))


@group.command("reject")
@_ID
@click.option("--reason", required=True, help="退回的理由（提交人会在后台看到）。")
@_EDITOR
def reject_command(change_id: int, reason: str, editor: str | None) -> None:
    """退回一项待审核的修改（附理由）；内容不会写入，记录保留。"""
    try:
        review.reject(runtime_with_schema().db, change_id, editor or _default_editor(), reason)
    except EditError as error:
        raise CommandFailed(f"无法退回 #{change_id}：{error}") from error
    click.echo(f"已退回 #{change_id}。")
