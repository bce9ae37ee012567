"""The console answers like the API where they meet (a malformed id is 404, not 400), speaks its own
words to people (a damaged page link), and keeps the list's query on a recording's page."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from support.console import csrf_of, signed_in_client
from support.errors import assert_error_body
from support.server import LiveServer

MALFORMED = ["not an id", "r.bad..id", "%00", "x" * 300]


def test_a_malformed_call_or_recording_id_is_404_as_in_the_api(
    live_server: LiveServer, wav_file: Path
) -> None:
    call_id = f"c-{uuid.uuid4()}"
    recording_id = live_server.ingest(call_id, wav_file, {})["recordingId"]
    account = live_server.account_id
    with signed_in_client(live_server) as client:
        token = csrf_of(client.get("/ui").text)
        for bad in MALFORMED:
            for path in (
                f"/ui/accounts/{account}/calls/{bad}/recordings/{recording_id}",
                f"/ui/accounts/{account}/calls/{call_id}/recordings/{bad}",
            ):
                page = client.get(path)
                assert page.status_code == 404 and "Not found" in page.text, (path, page.status_code)
                for suffix in ("/media", "/peaks"):
                    assert_error_body(client.get(path + suffix), 404, "not-found")
                assert_error_body(client.post(path + "/delete", data={"csrf_token": token}), 404, "not-found")
            moved = client.post(
                f"/ui/accounts/{account}/calls/{bad}/recording",
                json={"state": "paused"},
                headers={"X-CSRF-Token": token},
            )
            assert_error_body(moved, 404, "not-found")
            assert client.get(f"/ui/accounts/{account}/calls/{bad}/recordings").json() == {"recordings": []}
        forbidden = client.get(f"/ui/accounts/not an account/calls/{call_id}/recordings/{recording_id}")
        assert forbidden.status_code == 403


def test_a_damaged_page_link_is_told_in_the_consoles_words(live_server: LiveServer) -> None:
    with signed_in_client(live_server) as client:
        page = client.get("/ui", params={"pageToken": "garbage", "sort": "-startTime"})
    assert page.status_code == 400
    alert = re.search(r'role="alert"[^>]*>([^<]+)<', page.text)
    assert alert and "page link" in alert.group(1)
    assert "Link header" not in page.text and "pageToken" not in alert.group(1)
    assert 'href="/ui?sort=-startTime&amp;account=' in page.text  # the way back to the first page


def test_a_recording_page_keeps_the_lists_query_for_its_way_back(
    live_server: LiveServer, wav_file: Path
) -> None:
    tag = f"t{uuid.uuid4().hex[:8]}"
    first = live_server.ingest(f"c-{uuid.uuid4()}", wav_file, {"tag": tag, "direction": "inbound"})
    second = live_server.ingest(f"c-{uuid.uuid4()}", wav_file, {"tag": tag, "direction": "inbound"})
    # The API filters by time, not tag (the shared server holds other tests' recordings, some dated
    # later): a page token from the API for these two only, the list after the newest.
    just_after_second = datetime.fromisoformat(second["startTime"]) + timedelta(milliseconds=1)
    window = {
        "minStartTime": first["startTime"],
        "maxStartTime": just_after_second.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "sort": "-startTime",
    }  # maxStartTime is exclusive
    with live_server.client() as api:
        listed = api.get(
            f"/api/v2/accounts/{live_server.account_id}/recordings", params=window | {"pageSize": 1}
        )
    assert [row["recordingId"] for row in listed.json()] == [second["recordingId"]]
    token = parse_qs(urlsplit(listed.links["next"]["url"]).query)["pageToken"][0]
    wanted = window | {"tag": tag, "direction": "inbound", "pageToken": token}
    with signed_in_client(live_server) as client:
        listing = client.get("/ui", params={"account": live_server.account_id} | wanted)
        assert first["recordingId"] in listing.text and second["recordingId"] not in listing.text
        row_link = re.search(r'<a href="([^"]+)"><time', listing.text)
        assert row_link
        recording = client.get(row_link.group(1).replace("&amp;", "&"))
        back = re.search(r'<a href="([^"]+)">← Recordings', recording.text)
        assert back
        query = parse_qs(urlsplit(back.group(1).replace("&amp;", "&")).query)
        assert {name: values[0] for name, values in query.items()} == wanted | {
            "account": live_server.account_id
        }
        copied = re.search(r'data-copy="([^"]+/api/v2/[^"]+)"', recording.text)
        assert copied, "the page offers the recording's API URL to copy"
    with live_server.client() as api:  # the copied URL is one the API answers, with this recording
        assert api.get(copied.group(1)).json()["recordingId"] == first["recordingId"]
