"""A server without CALLVAULT_CALLBACK_ALLOW calls no loopback or private URL: answerUrl and BXML
recordingAvailableUrl deliveries are recorded as failed attempts that say why; host-less URLs are 400."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from callvault.calls.media_stream import PCMU_8K
from callvault.cli.simulate import CallsClient
from support.errors import assert_error_body
from support.receiver import WebhookReceiver
from support.server import LiveServer, ServerFactory


@pytest.fixture(scope="module")
def unallowed_server(
    module_server_factory: ServerFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    server = module_server_factory(
        tmp_path_factory.mktemp("no-allow"), env_overrides={"CALLVAULT_CALLBACK_ALLOW": ""}
    )
    yield server
    server.stop()


def _attempts(server: LiveServer, event_type: str, timeout: float = 20) -> list[tuple[str, str, str]]:
    deadline = time.monotonic() + timeout
    while True:
        rows = server.db_rows(
            "SELECT url, outcome, error FROM webhook_attempts WHERE event_type = :event", event=event_type
        )
        if rows or time.monotonic() > deadline:
            return [(str(url), str(outcome), str(error)) for url, outcome, error in rows]
        time.sleep(0.2)


def test_answer_and_recording_available_to_loopback_are_blocked_and_recorded(
    unallowed_server: LiveServer, webhook_receiver: WebhookReceiver
) -> None:
    server = unallowed_server
    with CallsClient(server.url, server.username, server.password, server.account_id) as calls:
        call = calls.create_call("+15551230001", "+15551230002", answerUrl=webhook_receiver.url("/answer"))
        call_id = str(call["callId"])
        calls.start_recording(call_id, recordingAvailableUrl="http://169.254.169.254/latest/meta-data/")
        with calls.media_stream(call_id, {"inbound": PCMU_8K}) as stream:
            stream.send_audio({"inbound": np.zeros(4000, dtype=np.int16)})
            stream.stop()
        calls.wait_for_recordings(call_id)
    [(url, outcome, error)] = _attempts(server, "answer")
    assert (url, outcome) == (webhook_receiver.url("/answer"), "failed")
    assert error.startswith("blocked: destination 127.0.0.1")
    [(url, outcome, error)] = _attempts(server, "recordingAvailable")
    assert outcome == "failed" and "169.254.169.254" in error and "CALLVAULT_CALLBACK_ALLOW" in error
    assert webhook_receiver.requests == []


def test_callback_urls_without_a_host_are_400(live_server: LiveServer, wav_file: Path) -> None:
    account = live_server.account_id
    call_id = f"c-{uuid.uuid4()}"
    recording_id = live_server.ingest(call_id, wav_file, {})["recordingId"]
    with live_server.client() as client:
        answers = [
            client.post(
                f"/accounts/{account}/calls",
                json={"from": "+1555", "to": "+1556", "applicationId": "a", "answerUrl": "http:///nohost"},
            ),
            client.post(
                f"/accounts/{account}/calls/{call_id}/recordings/{recording_id}/transcription",
                json={"callbackUrl": "http:///nohost"},
            ),
        ]
        created = client.post(
            f"/accounts/{account}/calls", json={"from": "+1555", "to": "+1556", "applicationId": "a"}
        )
        answers.append(
            client.put(
                f"/accounts/{account}/calls/{created.json()['callId']}/bxml",
                content=b'<Bxml><StartRecording recordingAvailableUrl="http:///nohost"/></Bxml>',
                headers={"Content-Type": "application/xml"},
            )
        )
    for response in answers:
        assert "no host" in assert_error_body(response, 400, "validation")["description"]
