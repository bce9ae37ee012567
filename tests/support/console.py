"""Signing in to the console, from a browser page or from an httpx client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from support.server import LiveServer

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page carries no CSRF token"
    return match.group(1)


@contextmanager
def signed_in_client(
    server: LiveServer, username: str | None = None, password: str | None = None
) -> Iterator[httpx.Client]:
    """An httpx client with a console session cookie (no Basic auth), of the server's user by default."""
    with httpx.Client(base_url=server.url, timeout=60) as client:
        form = client.get("/ui/login")
        response = client.post(
            "/ui/login",
            data={
                "username": username or server.username,
                "password": password or server.password,
                "csrf_token": csrf_of(form.text),
            },
        )
        assert response.status_code == 303, response.text
        yield client


def browser_sign_in(page: Any, server: LiveServer, target: str = "/ui") -> None:
    page.goto(f"{server.url}{target}")
    page.get_by_label("User name").fill(server.username)
    page.get_by_label("Password").fill(server.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(server.url) + r"/ui.*"))
