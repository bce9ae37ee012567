"""Console sessions end on the server: signing out ends the session for every copy of its cookie, in
every process on the database; "sign out everywhere" ends the user's other browsers' sessions too; a
signed-in visitor is not shown the sign-in form again."""

from __future__ import annotations

from pathlib import Path

import httpx

from support.console import csrf_of, signed_in_client
from support.server import LiveServer, ServerFactory

COOKIE = "callvault_session"


def _copy_of(client: httpx.Client, server: LiveServer) -> httpx.Client:
    """Another client holding the same session cookie (a cookie copied out of the browser)."""
    return httpx.Client(base_url=server.url, cookies={COOKIE: client.cookies[COOKIE]}, timeout=60)


def test_a_copied_cookie_stops_working_once_its_session_signs_out(
    live_server: LiveServer, server_factory: ServerFactory, tmp_path: Path
) -> None:
    second = server_factory(  # another process on the same database
        tmp_path / "second",
        env_overrides={
            "CALLVAULT_DATABASE_URL": live_server.database_url,
            "CALLVAULT_MEDIA_URL": live_server.media_url,
            "CALLVAULT_MASTER_KEY_FILE": str(live_server.data_dir / "master.key"),  # one key per database
        },
    )
    with signed_in_client(live_server) as browser, _copy_of(browser, second) as thief:
        home = browser.get("/ui")
        assert home.status_code == 200
        assert thief.get("/ui").status_code == 200  # the copy works while the session lasts
        signed_out = browser.post("/ui/logout", data={"csrf_token": csrf_of(home.text)})
        assert signed_out.status_code == 303 and signed_out.headers["location"] == "/ui/login"
        assert thief.get("/ui").status_code == 303  # to the sign-in page
        assert thief.get(f"/ui/live/calls?account={live_server.account_id}").status_code == 401


def test_sign_out_everywhere_ends_the_users_other_sessions(live_server: LiveServer) -> None:
    other_user = "console-other"
    live_server.add_user(other_user, "other-password-1", [live_server.account_id])
    with (
        signed_in_client(live_server) as laptop,
        signed_in_client(live_server) as phone,
        signed_in_client(live_server, other_user, "other-password-1") as colleague,
    ):
        home = laptop.get("/ui")
        assert phone.get("/ui").status_code == 200
        assert laptop.post("/ui/logout/everywhere", data={}).status_code == 403  # no CSRF token
        ended = laptop.post("/ui/logout/everywhere", data={"csrf_token": csrf_of(home.text)})
        assert ended.status_code == 303 and ended.headers["location"] == "/ui/login?ended=everywhere"
        assert "signed out in every browser" in laptop.get(ended.headers["location"]).text
        assert phone.get("/ui").status_code == 303
        assert laptop.get("/ui").status_code == 303
        assert colleague.get("/ui").status_code == 200  # another user's sessions go on


def test_a_signed_in_visitor_is_sent_on_from_the_sign_in_page(live_server: LiveServer) -> None:
    with signed_in_client(live_server) as client:
        again = client.get("/ui/login", params={"next": "/ui/live"})
        assert again.status_code == 303 and again.headers["location"] == "/ui/live"
        assert client.get("/ui/login").headers["location"] == "/ui"
        assert client.get("/ui/login", params={"next": "//evil.example/"}).headers["location"] == "/ui"
    assert httpx.get(f"{live_server.url}/ui/login").status_code == 200  # signed out: the form


def test_sessions_of_a_user_whose_password_changed_end(live_server: LiveServer) -> None:
    live_server.add_user("console-rotating", "first-password-1", [live_server.account_id])
    with signed_in_client(live_server, "console-rotating", "first-password-1") as client:
        assert client.get("/ui").status_code == 200
        live_server.db_execute("UPDATE users SET password_hash = 'changed' WHERE name = 'console-rotating'")
        assert client.get("/ui").status_code == 303
