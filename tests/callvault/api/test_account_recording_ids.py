"""A caller-chosen recordingId is unique within its account: another account may use the same id,
and nothing (a 409, a read, a delete) reveals that another account holds it."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from support.errors import assert_error_body
from support.server import LiveServer


def test_the_same_recording_id_in_two_accounts_and_409_only_within_one(
    live_server: LiveServer, wav_file: Path, mp3_file: Path
) -> None:
    alice, bob = "9900000", "9900001"  # the test user has both accounts
    recording_id = f"r-shared-{uuid.uuid4().hex[:8]}"
    first = live_server.ingest("c-alice", wav_file, {"recordingId": recording_id}, account_id=alice)
    second = live_server.ingest("c-bob", mp3_file, {"recordingId": recording_id}, account_id=bob)
    assert first["recordingId"] == second["recordingId"] == recording_id
    assert (first["fileFormat"], second["fileFormat"]) == ("wav", "mp3")
    with live_server.client() as client:
        again = client.post(
            f"/ingest/accounts/{bob}/calls/c-bob/recordings",
            data={"metadata": json.dumps({"recordingId": recording_id})},
            files={"media": ("a.wav", wav_file.read_bytes(), "audio/wav")},
        )
        assert "already exists" in assert_error_body(again, 409, "conflict")["description"]
        bob_media = client.get(f"/api/v2/accounts/{bob}/calls/c-bob/recordings/{recording_id}/media")
        assert bob_media.content == mp3_file.read_bytes()
        assert (
            client.delete(f"/api/v2/accounts/{bob}/calls/c-bob/recordings/{recording_id}").status_code == 204
        )
        alice_media = client.get(f"/api/v2/accounts/{alice}/calls/c-alice/recordings/{recording_id}/media")
        assert alice_media.content == wav_file.read_bytes()
        [listed] = client.get(f"/api/v2/accounts/{alice}/calls/c-alice/recordings").json()
        assert listed["recordingId"] == recording_id
