"""Live calls against a real server: the answer webhook's BXML, and the `bandwidth` client."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import bandwidth
from bandwidth.models import UpdateCallRecording
from bandwidth.rest import ApiException
from callvault.calls.media_stream import PCMU_8K
from callvault.cli.simulate import CallsClient
from support.receiver import WebhookReceiver, closed_port_url
from support.server import LiveServer


@pytest.fixture()
def calls(live_server: LiveServer) -> Iterator[CallsClient]:
    with CallsClient(
        live_server.url, live_server.username, live_server.password, live_server.account_id
    ) as c:
        yield c


@pytest.fixture()
def api(live_server: LiveServer) -> bandwidth.RecordingsApi:
    configuration = bandwidth.Configuration(
        host=live_server.url, username=live_server.username, password=live_server.password
    )
    return bandwidth.RecordingsApi(bandwidth.ApiClient(configuration))


def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


def tone(seconds: float) -> np.ndarray:
    return (6000 * np.sin(2 * np.pi * 300 * np.arange(round(seconds * 8000)) / 8000)).astype(np.int16)


ANSWER_BXML = """<?xml version="1.0" encoding="UTF-8"?>
<Bxml>
    <SpeakSentence voice="julie">Your call is recorded.</SpeakSentence>
    <StartRecording recordingAvailableUrl="{url}" tag="from-answer" fileFormat="mp3"/>
</Bxml>"""


def test_the_answer_webhook_bxml_starts_the_recording(
    calls: CallsClient, webhook_receiver: WebhookReceiver, live_server: LiveServer
) -> None:
    available = webhook_receiver.url("/available")
    webhook_receiver.script(
        "/answer", [200], body=ANSWER_BXML.format(url=available), content_type="application/xml"
    )
    created = calls.create_call(
        "+15551110001",
        "+15551110002",
        answerUrl=webhook_receiver.url("/answer"),
        username="app-user",
        password="app-pass",
        tag="call-tag",
    )
    call_id = created["callId"]
    assert created["answerUrl"] == webhook_receiver.url("/answer")

    [answer] = webhook_receiver.wait_for(lambda r: r.path == "/answer", timeout=10)
    assert answer.method == "POST" and answer.basic_auth == ("app-user", "app-pass")
    assert answer.json["eventType"] == "answer"
    assert (answer.json["callId"], answer.json["tag"]) == (call_id, "call-tag")
    assert answer.json["callUrl"] == f"{live_server.url}/accounts/{live_server.account_id}/calls/{call_id}"
    state = eventually(lambda: calls.get_call(call_id).get("recordingState"))
    assert state == "recording"

    with calls.media_stream(call_id, {"inbound": PCMU_8K}) as stream:
        stream.send_audio({"inbound": tone(1)})
        stream.stop()
    [hook] = webhook_receiver.wait_for(lambda r: r.path == "/available", timeout=10)
    assert (hook.json["tag"], hook.json["fileFormat"], hook.json["duration"]) == (
        "from-answer",
        "mp3",
        "PT1S",
    )


def test_an_unreachable_answer_url_is_a_recorded_failed_delivery_and_the_call_stays_active(
    calls: CallsClient, live_server: LiveServer
) -> None:
    url = closed_port_url("/answer")
    call_id = calls.create_call("+15551110003", "+15551110004", answerUrl=url)["callId"]

    def failed_job() -> list[tuple[Any, ...]]:
        return live_server.db_rows(
            "SELECT state, last_error FROM jobs WHERE kind = 'answer' AND CAST(payload AS TEXT) LIKE :p",
            p=f"%{call_id}%",
        )

    [(state, error)] = eventually(lambda: [row for row in failed_job() if row[0] == "failed"])
    assert url in error
    attempts = live_server.db_rows(
        "SELECT outcome, error FROM webhook_attempts WHERE event_type = 'answer' AND url = :url", url=url
    )
    assert [outcome for outcome, _ in attempts][-2:] == ["retry", "failed"]
    assert all("Connect" in str(error) for _, error in attempts)
    assert calls.get_call(call_id)["state"] == "answered"
    calls.start_recording(call_id)  # the call is still usable
    assert calls.get_call(call_id)["recordingState"] == "recording"


def test_update_call_recording_state_of_the_bandwidth_client_on_an_active_call(
    calls: CallsClient, api: bandwidth.RecordingsApi, live_server: LiveServer
) -> None:
    call_id = calls.create_call("+15551110005", "+15551110006")["callId"]
    calls.start_recording(call_id)
    account = live_server.account_id

    with calls.media_stream(call_id, {"inbound": PCMU_8K}) as stream:
        stream.send_audio({"inbound": tone(1)})
        stream.mark()
        api.update_call_recording_state(account, call_id, UpdateCallRecording(state="paused"))
        assert calls.get_call(call_id)["recordingState"] == "paused"
        stream.send_audio({"inbound": tone(2)})
        stream.mark()
        response = api.update_call_recording_state_with_http_info(
            account, call_id, UpdateCallRecording(state="recording")
        )
        assert response.status_code == 200
        stream.send_audio({"inbound": tone(0.5)})
        stream.stop()

    [recording] = api.list_call_recordings(account, call_id)
    assert recording.duration == "PT1.5S"
    with pytest.raises(ApiException) as not_found:
        api.update_call_recording_state(account, "c-not-a-call", UpdateCallRecording(state="paused"))
    assert not_found.value.status == 404


def test_commands_before_the_stream_attaches_are_applied_when_it_does(calls: CallsClient) -> None:
    call_id = calls.create_call("+15551110007", "+15551110008")["callId"]
    calls.start_recording(call_id)
    calls.set_recording_state(call_id, "paused")
    with calls.media_stream(call_id, {"inbound": PCMU_8K}) as stream:
        stream.send_audio({"inbound": tone(1)})  # paused from the start: cut
        stream.mark()
        calls.set_recording_state(call_id, "recording")
        stream.send_audio({"inbound": tone(2)})
        stream.stop()
    [recording] = calls.wait_for_recordings(call_id)
    assert (recording["duration"], recording["status"]) == ("PT2S", "complete")


def test_hang_up_without_a_media_stream_gives_an_empty_partial_recording(
    calls: CallsClient, webhook_receiver: WebhookReceiver
) -> None:
    call_id = calls.create_call("+15551110009", "+15551110010")["callId"]
    calls.start_recording(call_id, recordingAvailableUrl=webhook_receiver.url("/empty"))
    calls.hang_up(call_id)
    calls.hang_up(call_id)  # idempotent
    [recording] = calls.wait_for_recordings(call_id)
    assert (recording["status"], recording["duration"]) == ("partial", "PT0S")
    [hook] = webhook_receiver.wait_for(lambda r: r.path == "/empty", timeout=10)
    assert hook.json["status"] == "partial"
