"""The API's error envelope, as every error answer must carry it."""

from __future__ import annotations

import httpx


def assert_error_body(response: httpx.Response, status: int, error_type: str) -> dict[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"type", "description", "id"}
    assert body["type"] == error_type
    assert body["description"]
    assert "Traceback" not in response.text
    return dict(body)
