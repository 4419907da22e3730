"""Helpers for tests of the staff workspace: accounts, a logged-in client, the CSRF token of a page."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from bot.admin.accounts import Role, add_account
from bot.runtime import get_runtime

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_staff(app: Flask, name: str = "张编辑", role: Role = Role.EDITOR) -> str:
    add_account(get_runtime(app).db, name, PASSWORD, role)
    return name


def csrf_from(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "page has no csrf_token field"
    return found.group(1)


def login(client: FlaskClient, name: str, password: str = PASSWORD):
    token = csrf_from(client.get("/admin/login").get_data(as_text=True))
    return client.post("/admin/login", data={"username": name, "password": password, "csrf_token": token})


def logged_in(app: Flask, role: Role = Role.EDITOR, name: str | None = None) -> FlaskClient:
    client = app.test_client()
    name = make_staff(app, name or f"{role.name.lower()}-user", role)
    response = login(client, name)
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


def token(client: FlaskClient, path: str = "/admin/") -> str:
    """The CSRF token of the client's session, read from a page that carries a form."""
    response = client.get(path, follow_redirects=True)
    return csrf_from(response.get_data(as_text=True))
