"""Legal holds, retention and erasure against a real server (SQLite+files, and PostgreSQL+S3 with
CALLVAULT_TEST_BACKEND=scale): what a hold covers survives every removal; erasure leaves no media,
transcript or search hit of a number; bad input changes nothing."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.server import LiveServer, ServerFactory

OLD = "2020-01-02T03:04:05.000Z"


def _number() -> str:
    return f"+1555{uuid.uuid4().int % 10**7:07d}"


def _path(server: LiveServer, created: dict[str, Any]) -> str:
    return (
        f"/api/v2/accounts/{server.account_id}/calls/{created['callId']}/recordings/{created['recordingId']}"
    )


def _account(server: LiveServer) -> str:
    return f"/api/v2/accounts/{server.account_id}"


def _hold(client: httpx.Client, server: LiveServer, kind: str, target: str) -> httpx.Response:
    body = {"type": kind, "target": target, "reason": "Matter 17: preserve"}
    return client.post(f"{_account(server)}/legalHolds", json=body)


def _cli(server: LiveServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "callvault", *args, "--data-dir", str(server.data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**server.env, "COLUMNS": "300"},
    )


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory, tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    """A server whose test user is the account's owner (holds, policies and erasure need `govern`)."""
    return _owned(module_server_factory(tmp_path_factory.mktemp("governance")))


def _owned(server: LiveServer) -> LiveServer:
    return server.make_owner(server.account_id, "9900001")


def test_a_held_recording_survives_every_delete_until_the_hold_is_released(
    server: LiveServer, wav_file: Path
) -> None:
    number = _number()
    held = server.ingest(f"c-{uuid.uuid4()}", wav_file)
    with server.client() as client:
        placed = _hold(client, server, "recording", held["recordingId"])
        assert placed.status_code == 201, placed.text
        hold = placed.json()
        assert hold["placedBy"] == server.username and hold["active"] is True
        for suffix in ("", "/media", "/transcription"):
            refused = client.delete(_path(server, held) + suffix)
            assert refused.status_code == 409, (suffix, refused.text)
            assert refused.json()["type"] == "conflict"
            assert hold["holdId"] in refused.json()["description"]
        assert client.get(_path(server, held) + "/media").status_code == 200

        assert _hold(client, server, "number", number).status_code == 201
        later = server.ingest(f"c-{uuid.uuid4()}", wav_file, {"to": number})  # after the hold: covered too
        assert client.delete(_path(server, later)).status_code == 409

        release = f"{_account(server)}/legalHolds/{hold['holdId']}/release"
        released = client.post(release, json={"reason": "Matter 17 closed"})
        assert released.status_code == 200, released.text
        assert released.json()["releasedBy"] == server.username and released.json()["active"] is False
        assert client.post(release, json={"reason": "again"}).status_code == 409
        assert client.delete(_path(server, held)).status_code == 204
        listed = client.get(f"{_account(server)}/legalHolds", params={"active": "false"}).json()
        assert hold["holdId"] in [h["holdId"] for h in listed]


def test_holds_refuse_what_they_cannot_hold_and_change_nothing(server: LiveServer) -> None:
    with server.client() as client:
        before = client.get(f"{_account(server)}/legalHolds", params={"active": "false"}).json()
        unknown = _hold(client, server, "recording", f"r-{uuid.uuid4()}")
        assert unknown.status_code == 404 and "no hold was placed" in unknown.json()["description"]
        assert _hold(client, server, "call", f"c-{uuid.uuid4()}").status_code == 404
        assert _hold(client, server, "mailbox", "x").status_code == 400
        assert _hold(client, server, "number", "not a number").status_code == 400
        no_reason = client.post(
            f"{_account(server)}/legalHolds", json={"type": "number", "target": _number()}
        )
        assert no_reason.status_code == 400 and "reason" in no_reason.json()["description"]
        assert client.get(f"{_account(server)}/legalHolds/hold-nope").status_code == 404
        after = client.get(f"{_account(server)}/legalHolds", params={"active": "false"}).json()
        assert after == before


def test_retention_policy_refuses_negative_or_absurd_days(server: LiveServer) -> None:
    url = "/api/v2/accounts/9900001/retentionPolicy"
    with server.client() as client:
        for body in (
            {"mediaDays": -1},
            {"mediaDays": 0},
            {"metadataDays": 10**6},
            {"mediaDays": "30"},
            {"mediaDays": 1.5},
            {"mediaDay": 30},
            [30],
        ):
            refused = client.put(url, json=body)
            assert refused.status_code == 400, (body, refused.text)
        assert client.get(url).json() == {"mediaDays": None, "transcriptDays": None, "metadataDays": None}
        assert client.put(url, json={"mediaDays": 30}).json()["mediaDays"] == 30
        assert client.get(url).json()["mediaDays"] == 30
    refused = _cli(server, "retention", "set", "--account", "9900001", "--media-days", "-5")
    assert refused.returncode == 1 and "between 1 and 36500" in refused.stderr


def _insert_transcript(server: LiveServer, recording_id: str, text: str) -> None:
    """An available transcript and its search clip, as the transcription job stores them."""
    result = json.dumps(
        {
            "transcripts": [{"text": text, "confidence": 0.9}],
            "clips": [{"speaker": 0, "start": 0.0, "end": 1.0, "text": text, "confidence": 0.9}],
        }
    )
    tid = f"t-{uuid.uuid4()}"
    server.db_execute(
        "INSERT INTO transcriptions (account_id, recording_id, transcription_id, status, request,"
        " requested_at, completed_time, result, language) VALUES"
        f" ('{server.account_id}', '{recording_id}', '{tid}', 'available', '{{}}',"
        f" '2030-01-01 00:00:00', '2030-01-01 00:00:01', '{result}', 'en')"
    )
    server.db_execute(
        "INSERT INTO transcript_clips (recording_id, account_id, transcription_id, clip_index, speaker,"
        f" start_seconds, end_seconds, language, text) VALUES ('{recording_id}', '{server.account_id}',"
        f" '{tid}', 0, 0, 0.0, 1.0, 'en', '{text}')"
    )


def test_erasure_leaves_no_media_transcript_or_search_hit_but_keeps_what_is_held(
    server: LiveServer, wav_file: Path
) -> None:
    number, other = _number(), _number()
    word = f"zebra{uuid.uuid4().hex[:8]}"
    erased = server.ingest(f"c-{uuid.uuid4()}", wav_file, {"from": number})
    held = server.ingest(f"c-{uuid.uuid4()}", wav_file, {"to": number})
    kept = server.ingest(f"c-{uuid.uuid4()}", wav_file, {"from": other})
    _insert_transcript(server, erased["recordingId"], f"my card {word}")
    recordings = f"{_account(server)}/recordings"
    with server.client() as client:
        assert [r["recordingId"] for r in client.get(recordings, params={"q": word}).json()] == [
            erased["recordingId"]
        ]
        assert client.get(_path(server, erased) + "/peaks").status_code == 200
        assert _hold(client, server, "recording", held["recordingId"]).status_code == 201

        answer = client.post(f"{_account(server)}/erasures", json={"number": number})
        assert answer.status_code == 201, answer.text
        receipt = answer.json()
        assert receipt["erasedRecordingIds"] == [erased["recordingId"]]
        assert receipt["mediaRemoved"] == 1 and receipt["transcriptsRemoved"] == 1
        assert [h["recordingId"] for h in receipt["held"]] == [held["recordingId"]]
        assert number not in json.dumps(receipt)  # the receipt keeps no number

        assert client.get(_path(server, erased) + "/media").status_code == 404
        assert client.get(_path(server, erased) + "/transcription").status_code == 404
        assert client.get(_path(server, erased) + "/peaks").status_code == 404
        assert client.get(recordings, params={"q": word}).json() == []
        assert client.get(_path(server, held) + "/media").status_code == 200
        assert client.get(_path(server, kept) + "/media").status_code == 200
        stored = client.get(f"{_account(server)}/erasures/{receipt['receiptId']}").json()
        assert stored == receipt

        receipts_before = client.get(f"{_account(server)}/erasures").json()
        nobody = client.post(f"{_account(server)}/erasures", json={"number": _number()})
        assert nobody.status_code == 404 and "nothing was erased" in nobody.json()["description"]
        assert client.post(f"{_account(server)}/erasures", json={"number": "call me"}).status_code == 400
        assert client.get(f"{_account(server)}/erasures").json() == receipts_before
    _wait_blob_gone(server, erased)


def _wait_blob_gone(server: LiveServer, created: dict[str, Any]) -> None:
    rows = server.db_rows(
        "SELECT media_key FROM recordings WHERE recording_id = :rid", rid=created["recordingId"]
    )
    assert rows == [(None,)]


def test_erase_from_the_cli_prints_a_receipt(server: LiveServer, wav_file: Path) -> None:
    number = _number()
    created = server.ingest(f"c-{uuid.uuid4()}", wav_file, {"from": number})
    done = _cli(server, "erase", "--account", server.account_id, "--number", number)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["erasedRecordingIds"] == [created["recordingId"]]
    nothing = _cli(server, "erase", "--account", server.account_id, "--number", _number())
    assert nothing.returncode == 1 and "nothing was erased" in nothing.stderr


def _metric(server: LiveServer, name: str) -> float:
    for line in httpx.get(f"{server.url}/metrics", timeout=30).text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_retention_removes_what_is_old_keeps_what_is_held_and_counts_it(
    server_factory: ServerFactory, tmp_path: Path, wav_file: Path
) -> None:
    server = _owned(server_factory(tmp_path / "data", env_overrides={"CALLVAULT_RETENTION_INTERVAL": "0.2s"}))
    old = server.ingest(f"c-{uuid.uuid4()}", wav_file, {"startTime": OLD})
    old_held = server.ingest(f"c-{uuid.uuid4()}", wav_file, {"startTime": OLD})
    old_media = server.ingest(f"c-{uuid.uuid4()}", wav_file, {"startTime": OLD}, account_id="9900001")
    recent = server.ingest(f"c-{uuid.uuid4()}", wav_file)
    with server.client() as client:
        assert _hold(client, server, "call", old_held["callId"]).status_code == 201
        assert client.put(f"{_account(server)}/retentionPolicy", json={"metadataDays": 30}).status_code == 200
        assert (
            client.put("/api/v2/accounts/9900001/retentionPolicy", json={"mediaDays": 30}).status_code == 200
        )
        deadline = time.monotonic() + 60
        while client.get(_path(server, old)).status_code != 404:
            assert time.monotonic() < deadline, server.log()[-2000:]
            time.sleep(0.2)
        media = f"/api/v2/accounts/9900001/calls/{old_media['callId']}/recordings/{old_media['recordingId']}"
        while client.get(media + "/media").status_code != 404:
            assert time.monotonic() < deadline, server.log()[-2000:]
            time.sleep(0.2)
        assert client.get(media).status_code == 200  # only its media went
        assert client.get(_path(server, old_held) + "/media").status_code == 200
        assert client.get(_path(server, recent) + "/media").status_code == 200
    assert _metric(server, 'callvault_retention_removed_total{stage="metadata"}') >= 1
    assert _metric(server, 'callvault_retention_removed_total{stage="media"}') >= 1
    assert _metric(server, "callvault_legal_holds_active") == 1


def test_retention_dry_run_lists_what_would_go_and_removes_nothing(
    server_factory: ServerFactory, tmp_path: Path, wav_file: Path
) -> None:
    server = _owned(server_factory(tmp_path / "data"))
    old = server.ingest(f"c-{uuid.uuid4()}", wav_file, {"startTime": OLD})
    old_held = server.ingest(f"c-{uuid.uuid4()}", wav_file, {"startTime": OLD})
    with server.client() as client:
        assert _hold(client, server, "recording", old_held["recordingId"]).status_code == 201
    policy = _cli(
        server,
        "retention",
        "set",
        "--account",
        server.account_id,
        "--transcript-days",
        "7",
        "--metadata-days",
        "365",
    )
    assert policy.returncode == 0, policy.stderr
    dry = _cli(server, "retention", "run", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.split() == ["metadata", old["recordingId"]]
    assert "would remove 1 recording(s)" in dry.stderr
    with server.client() as client:
        assert client.get(_path(server, old)).status_code == 200
    done = _cli(server, "retention", "run")
    assert done.returncode == 0 and "removed 1 recording(s)" in done.stderr
    again = _cli(server, "retention", "run")
    assert again.stdout == "" and "removed 0 recording(s)" in again.stderr
    with server.client() as client:
        assert client.get(_path(server, old)).status_code == 404
        assert client.get(_path(server, old_held)).status_code == 200


def test_transcript_retention_keeps_a_held_recordings_transcript_and_search_hit(
    server_factory: ServerFactory, tmp_path: Path, wav_file: Path
) -> None:
    server = _owned(server_factory(tmp_path / "data"))
    word = f"okapi{uuid.uuid4().hex[:8]}"
    old = server.ingest(f"c-{uuid.uuid4()}", wav_file, {"startTime": OLD})
    old_held = server.ingest(f"c-{uuid.uuid4()}", wav_file, {"startTime": OLD})
    _insert_transcript(server, old["recordingId"], f"gone {word}")
    _insert_transcript(server, old_held["recordingId"], f"kept {word}")
    recordings = f"{_account(server)}/recordings"
    with server.client() as client:
        assert _hold(client, server, "recording", old_held["recordingId"]).status_code == 201
        policy = client.put(f"{_account(server)}/retentionPolicy", json={"transcriptDays": 7})
        assert policy.status_code == 200, policy.text
        found = {r["recordingId"] for r in client.get(recordings, params={"q": word}).json()}
        assert found == {old["recordingId"], old_held["recordingId"]}

    done = _cli(server, "retention", "run")
    assert done.returncode == 0, done.stderr
    assert "removed 0 recording(s), the media of 0 and the transcript of 1" in done.stderr

    with server.client() as client:
        assert client.get(_path(server, old) + "/transcription").status_code == 404
        kept = client.get(_path(server, old_held) + "/transcription")
        assert kept.status_code == 200 and word in kept.text, kept.text
        found_after = [r["recordingId"] for r in client.get(recordings, params={"q": word}).json()]
        assert found_after == [old_held["recordingId"]]
        assert client.get(_path(server, old_held) + "/media").status_code == 200
        assert client.get(_path(server, old) + "/media").status_code == 200  # only its transcript went


def test_redaction_policy_from_the_cli_and_the_api(server: LiveServer) -> None:
    refused = _cli(server, "redaction", "set", "--account", "9900001", "--pattern", "(")
    assert refused.returncode == 1 and "Invalid redaction pattern" in refused.stderr
    done = _cli(
        server, "redaction", "set", "--account", "9900001", "--pattern", r"acct \d{8}", "--audio", "tone"
    )
    assert done.returncode == 0, done.stderr
    with server.client() as client:
        policy = client.get("/api/v2/accounts/9900001/redactionPolicy").json()
        assert (
            policy["enabled"] is True and policy["patterns"] == [r"acct \d{8}"] and policy["audio"] == "tone"
        )
        assert (
            client.put("/api/v2/accounts/9900001/redactionPolicy", json={"audio": "beep"}).status_code == 400
        )
        assert client.get("/api/v2/accounts/9900001/redactionPolicy").json() == policy
