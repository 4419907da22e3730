"""Paging of list pages: a fixed page size and links that keep the other query parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request, url_for
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    number: int
    total: int
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @classmethod
    def of(cls, session: Session, query: Select, raw_number: str | None, size: int = PAGE_SIZE) -> Page:
        """One page of `query` (already ordered); a bad or too-high page number shows the last page."""
        total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
        try:
            number = max(1, int(raw_number or 1))
        except ValueError:
            number = 1
        number = min(number, max(1, -(-total // size)))
        rows = list(session.scalars(query.limit(size).offset((number - 1) * size)))
        return cls(rows, number, total, size)

    @classmethod
    def of_ids(cls, session: Session, model: Any, id_query: Select, raw_number: str | None,
               size: int = PAGE_SIZE) -> Page:
        """`of` for an ordered query of ids: the page's ids come from a narrow index, then only
        those rows are read — a late page of 20,000 wide rows never reads the skipped ones."""
        page = cls.of(session, id_query, raw_number, size)
        by_id = {row.id: row for row in session.scalars(select(model).where(model.id.in_(page.rows)))}
        return cls([by_id[i] for i in page.rows if i in by_id], page.number, page.total, size)

    def url(self, number: int) -> str:
        """This page's URL with another page number and every other filter kept."""
        args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "page"}
        return url_for(request.endpoint or "", **(request.view_args or {}), **args, page=number)
