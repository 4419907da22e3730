"""`flask offices …`: the 办事机构 directory the bot routes to (`knowledge.offices`).

Staff edit a JSONL or CSV file (名称, 办理事项, 电话, 地址, 办公时间) and import it; the import
replaces the whole directory in one transaction, so a file that fails validation changes
nothing. Running workers re-read the directory within `KB_RELOAD_INTERVAL` seconds.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from bot.cli.chinese import ChineseGroup
from bot.cli.errors import CommandFailed, runtime_with_schema
from bot.cli.kb import _default_editor
from knowledge.offices import OfficeFileError, load_entries, read_file, replace_all

group = ChineseGroup("offices", help="办事机构目录：导入、查看、导出（机器人据此告诉群众找谁办理）。")


@group.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--editor", help="记录为编辑人的名字（默认是当前系统用户）。")
def import_command(path: Path, editor: str | None) -> None:
    """用 .jsonl 或 .csv 文件替换整个办事机构目录（表头：名称、办理事项、电话、地址、办公时间）。"""
    runtime = runtime_with_schema()
    try:
        entries = read_file(path)
    except OfficeFileError as exc:
        raise CommandFailed(f"{exc}；目录未作任何修改。") from None
    replace_all(runtime.db, entries, editor=editor or _default_editor())
    click.echo(f"已导入 {len(entries)} 个办事机构，正在运行的服务会在几秒内自动载入。")


@group.command("list")
def list_command() -> None:
    """列出办事机构目录。"""
    for entry in load_entries(runtime_with_schema().db):
        details = "；".join(v for v in (entry.phone, entry.address, entry.hours) if v) or "（未填联系方式）"
        click.echo(f"{entry.name}：{details}\n  办理事项：{'、'.join(entry.handles)}")


@group.command("export")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="导出到的 .jsonl 文件。")
def export_command(output: Path) -> None:
    """把办事机构目录导出为 .jsonl（可修改后再导入）。"""
    entries = load_entries(runtime_with_schema().db)
    output.write_text("".join(json.dumps(e.to_json(), ensure_ascii=False) + "\n" for e in entries), encoding="utf-8")
    click.echo(f"已导出 {len(entries)} 个办事机构到 {output}")
