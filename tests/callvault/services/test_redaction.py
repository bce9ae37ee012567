"""PII redaction end to end on real speech (Asterisk's digit prompts) through a real server: the
stored transcript, the search index and the recording's audio (transcribed again) hold no card number
or SSN; a phone number stays; the original is kept or purged as the account says; a held recording
keeps its original whatever the policy."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from callvault.domain.redaction import RedactionPolicy
from callvault.services.redaction import redact_output
from callvault.transcription import Engine, load_engine
from callvault.transcription.output import ChannelTranscript, Clip, TranscriptionOutput, Word
from support.asterisk_sounds import ensure_sounds
from support.needs import unavailable
from support.server import LiveServer, ServerFactory
from support.spoken_numbers import SpokenNumber, spoken_digits, write_spoken_call

CARD = SpokenNumber("4539148803436467", "card")
SSN = SpokenNumber("219097121", "ssn")
PHONE = SpokenNumber("9195550123", "phone")


@pytest.fixture(scope="module")
def server(module_server_factory: ServerFactory, tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    why_not = ensure_sounds()
    if why_not:
        unavailable(f"no real speech: {why_not}")
    return module_server_factory(tmp_path_factory.mktemp("redaction")).make_owner()  # policies need `govern`


@pytest.fixture(scope="module")
def engine(model_cache_dir: Path) -> Engine:
    return load_engine(model_dir=None, cache_dir=model_cache_dir, cpu_threads=2)


def _transcribed(server: LiveServer, client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    assert client.post(f"{path}/transcription", json=body).status_code == 204
    deadline = time.monotonic() + 300
    while (client.get(path).json().get("transcription") or {}).get("status") != "available":
        assert time.monotonic() < deadline, server.log()[-2000:]
        time.sleep(0.3)
    return dict(client.get(path).json())


@pytest.mark.slow
def test_redacted_transcript_search_and_audio_hold_no_number(
    server: LiveServer, engine: Engine, tmp_path: Path
) -> None:
    wav = tmp_path / "call.wav"
    write_spoken_call(wav, [CARD, SSN, PHONE])
    call_id = f"c-{uuid.uuid4()}"
    created = server.ingest(call_id, wav)
    account = f"/api/v2/accounts/{server.account_id}"
    path = f"{account}/calls/{call_id}/recordings/{created['recordingId']}"
    with server.client() as client:
        policy = client.put(f"{account}/redactionPolicy", json={"keepOriginal": False})
        assert policy.status_code == 200 and policy.json()["enabled"] is False
        assert client.post(f"{path}/transcription", json={"redact": "yes"}).status_code == 400
        recording = _transcribed(server, client, path, {"redact": True})
        transcript = client.get(f"{path}/transcription").json()["transcripts"][0]["text"]
        assert transcript.count("[REDACTED]") == 2, transcript
        heard = spoken_digits(transcript)
        assert CARD.digits not in heard and SSN.digits not in heard and CARD.digits[-4:] not in heard
        assert PHONE.digits in heard  # precision: a phone number is not PII here
        assert client.get(f"{account}/recordings", params={"q": "REDACTED"}).json()
        assert client.get(f"{account}/recordings", params={"q": CARD.digits}).json() == []
        audio = client.get(f"{path}/media")
        assert audio.status_code == 200 and recording["mediaUrl"]
    redacted = tmp_path / "redacted.wav"
    redacted.write_bytes(audio.content)
    again = spoken_digits(" ".join(t.text for t in engine.transcribe(redacted).transcripts))
    assert CARD.digits[:6] not in again and SSN.digits[:5] not in again, again
    assert PHONE.digits[-4:] in again  # the audio around the redacted spans is kept
    rows = server.db_rows(
        "SELECT original_media_key, redacted_at FROM recordings WHERE recording_id = :r",
        r=created["recordingId"],
    )
    assert rows[0][0] is None and rows[0][1] is not None  # keepOriginal false: the original goes


@pytest.mark.slow
def test_a_held_recording_keeps_its_original_and_the_account_policy_applies_without_a_flag(
    server: LiveServer, tmp_path: Path
) -> None:
    wav = tmp_path / "call.wav"
    write_spoken_call(wav, [CARD])
    call_id = f"c-{uuid.uuid4()}"
    created = server.ingest(call_id, wav)
    account = f"/api/v2/accounts/{server.account_id}"
    path = f"{account}/calls/{call_id}/recordings/{created['recordingId']}"
    with server.client() as client:
        body = {"enabled": True, "keepOriginal": False, "audio": "tone"}
        assert client.put(f"{account}/redactionPolicy", json=body).status_code == 200
        held = {"type": "call", "target": call_id, "reason": "dispute 9"}
        assert client.post(f"{account}/legalHolds", json=held).status_code == 201
        _transcribed(server, client, path, {})
        transcript = client.get(f"{path}/transcription").json()["transcripts"][0]["text"]
        assert "[REDACTED]" in transcript and CARD.digits not in spoken_digits(transcript)
        assert client.put(f"{account}/redactionPolicy", json={}).status_code == 200
    original = server.db_rows(
        "SELECT original_media_key, original_media_sha256 FROM recordings WHERE recording_id = :r",
        r=created["recordingId"],
    )[0]
    assert original[0] is not None and original[1] == created.get("mediaSha256", original[1])


def _clip(speaker: int, start: float, said: str, step: float = 0.4) -> Clip:
    words = tuple(
        Word(f" {word}", start + i * step, start + i * step + 0.3) for i, word in enumerate(said.split())
    )
    return Clip(speaker, start, words[-1].end, said, 0.9, words)


def test_a_card_number_read_across_the_engines_clip_cut_is_one_number() -> None:
    """The engine cuts clips at its own windows; a card read across that cut (the caller on channel 1)
    is found whole and redacted in both clips, the agent's digits in between (channel 2) stay apart,
    and a number resumed after a long pause is not joined to the one before it."""
    caller_before = _clip(0, 0.0, "my card is 4539 1488")
    agent = _clip(1, 2.0, "ok 1 2 3 4 5 6 7")
    caller_after = _clip(0, caller_before.end + 0.5, "0343 6467 thanks")
    again = _clip(0, caller_after.end + 1.0, "again 4539 1488")
    resumed = _clip(0, again.end + 30.0, "0343 6467 done")
    output = TranscriptionOutput(
        [ChannelTranscript("", 0.9), ChannelTranscript("", 0.9)],
        [caller_before, agent, caller_after, again, resumed],
        "en",
    )
    redacted = redact_output(output, RedactionPolicy(enabled=True))
    texts = [clip.text for clip in redacted.output.clips]
    assert texts == [
        "my card is [REDACTED]",
        "ok 1 2 3 4 5 6 7",
        "[REDACTED] thanks",
        "again 4539 1488",  # 30 s before the rest: two numbers of 8 digits, neither a card
        "0343 6467 done",
    ]
    assert redacted.kinds == ["card"]
    assert redacted.spans == [(caller_before.words[3].start - 0.15, caller_after.words[1].end + 0.15)]
    assert redacted.output.transcripts[0].text.startswith("my card is [REDACTED] [REDACTED] thanks again")
