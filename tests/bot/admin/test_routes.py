"""Every /admin route, read from the app's URL map so that a new route cannot be missed:
pages redirect to login, actions answer 401 without login and 400 without a CSRF token,
each view declares its least role, and a too-low role gets 403.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.routing import IntegerConverter, Rule

from bot.admin.accounts import Role
from bot.admin.security import PUBLIC
from tests.admin_support import logged_in, token


def admin_rules(app: Flask) -> Iterator[Rule]:
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin") and rule.endpoint not in PUBLIC:
            yield rule


def url_of(rule: Rule) -> str:
    """The rule's URL with 1 for every number and "faq" for every other argument."""
    values = {name: 1 if isinstance(conv, IntegerConverter) else "faq" for name, conv in rule._converters.items()}
    return rule.map.bind("localhost").build(rule.endpoint, values, force_external=False)


def methods(rule: Rule) -> set[str]:
    return set(rule.methods or ()) - {"HEAD", "OPTIONS"}


def test_the_url_map_has_admin_routes(app: Flask) -> None:
    assert len(list(admin_rules(app))) >= 4


def test_every_page_redirects_to_login_without_a_session(app: Flask) -> None:
    client = app.test_client()
    for rule in admin_rules(app):
        if "GET" in methods(rule):
            response = client.get(url_of(rule))
            assert response.status_code == 302, rule.rule
            assert response.headers["Location"].startswith("/admin/login"), rule.rule


def test_every_action_answers_401_without_a_session(app: Flask) -> None:
    client = app.test_client()
    for rule in admin_rules(app):
        for method in methods(rule) - {"GET"}:
            assert client.open(url_of(rule), method=method).status_code == 401, rule.rule


def test_every_action_refuses_a_post_without_a_valid_csrf_token(app: Flask) -> None:
    client = logged_in(app, Role.REVIEWER)
    for rule in admin_rules(app):
        for method in methods(rule) - {"GET"}:
            assert client.open(url_of(rule), method=method, data={}).status_code == 400, rule.rule
            forged = client.open(url_of(rule), method=method, data={"csrf_token": "forged"})
            assert forged.status_code == 400, rule.rule


def test_the_login_form_itself_needs_the_csrf_token(app: Flask) -> None:
    client = app.test_client()
    response = client.post("/admin/login", data={"username": "x", "password": "y"})
    assert response.status_code == 400


def test_every_view_declares_its_least_role(app: Flask) -> None:
    for rule in admin_rules(app):
        view = app.view_functions[rule.endpoint]
        assert isinstance(getattr(view, "min_role", None), Role), f"{rule.endpoint} has no @require(role)"


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR])
def test_a_role_below_a_views_least_role_gets_403(app: Flask, role: Role) -> None:
    client = logged_in(app, role)
    csrf = token(client)
    for rule in admin_rules(app):
        if app.view_functions[rule.endpoint].min_role <= role:  # type: ignore[union-attr]
            continue
        for method in methods(rule):
            data = {"csrf_token": csrf} if method != "GET" else None
            assert client.open(url_of(rule), method=method, data=data).status_code == 403, rule.rule
