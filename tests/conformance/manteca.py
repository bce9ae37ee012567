"""A local stand-in for Manteca, the call harness that Bandwidth's smoke tests drive.

The upstream smoke tests create a call whose `answerUrl` is Manteca's (`.../bxml/startRecording` or
`.../bxml/startLongRecording`) and poll `GET .../tests/{id}` until Manteca reports the call
`ALIVE`, `callRecorded` or `callTranscribed`. Here the telephone network is callvault's media
WebSocket: on the answer webhook this server answers StartRecording BXML, then plays real speech
into the call (`startRecording`: as fast as the server takes it, then hangs up; `startLongRecording`:
in real time until the test hangs up). callvault's `recordingAvailable` and `transcriptionAvailable`
webhooks come back here and flip the test's flags.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
from websockets.exceptions import ConnectionClosed

from callvault.calls.media_stream import PCMU_8K
from callvault.cli.simulate import CallsClient, MediaStream, decode_mono

LONG_RECORDING_LIMIT_S = 120.0


def answer_bxml(recording_available_url: str | None) -> str:
    """The answer a Bandwidth application gives: a `<Response>` document."""
    attribute = f' recordingAvailableUrl="{recording_available_url}"' if recording_available_url else ""
    return f'<?xml version="1.0" encoding="UTF-8"?><Response><StartRecording{attribute}/></Response>'


@dataclass
class MantecaTest:
    status: str = "DEAD"
    call_recorded: bool = False
    call_transcribed: bool = False
    call_id: str | None = None
    errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "callRecorded": self.call_recorded,
            "callTranscribed": self.call_transcribed,
            "callId": self.call_id,
            "errors": self.errors,
        }


class Manteca:
    """The fake harness; `base_url` ends with '/' as MANTECA_BASE_URL does upstream."""

    def __init__(
        self, callvault_url: str, username: str, password: str, account_id: str, speech: Path
    ) -> None:
        self.callvault_url = callvault_url
        self.username, self.password, self.account_id = username, password, account_id
        self.speech = np.concatenate(list(decode_mono(speech, PCMU_8K.sample_rate)))
        self.tests: dict[str, MantecaTest] = {}
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/"

    @contextlib.contextmanager
    def running(self) -> Iterator[Manteca]:
        thread = threading.Thread(target=self._server.serve_forever, name="manteca", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()

    # -- the harness's own API ------------------------------------------------------------------------

    def new_test(self) -> str:
        test_id = f"manteca-{uuid.uuid4()}"
        with self.lock:
            self.tests[test_id] = MantecaTest()
        return test_id

    def test(self, test_id: str) -> MantecaTest | None:
        with self.lock:
            return self.tests.get(test_id)

    def _test_of(self, event: dict[str, Any]) -> MantecaTest | None:
        with self.lock:
            found = self.tests.get(str(event.get("tag")))
            if found is None:
                found = next((t for t in self.tests.values() if t.call_id == event.get("callId")), None)
            return found

    # -- webhooks from callvault ------------------------------------------------------------------------

    def answer(self, kind: str, event: dict[str, Any]) -> str:
        test = self._test_of(event)
        if test is None:
            return answer_bxml(None)
        test.call_id = str(event["callId"])
        test.status = "ALIVE"
        long_call = kind == "startLongRecording"
        threading.Thread(
            target=self._play, args=(test, test.call_id, long_call), name=f"manteca-{kind}", daemon=True
        ).start()
        return answer_bxml(self.base_url + "recordingAvailable")

    def recording_available(self, event: dict[str, Any]) -> None:
        test = self._test_of(event)
        if test is not None and event.get("status") == "complete":
            test.call_recorded = True

    def transcription_available(self, event: dict[str, Any]) -> None:
        test = self._test_of(event)
        if test is not None:
            test.call_transcribed = True

    # -- the call's audio ------------------------------------------------------------------------------

    def _play(self, test: MantecaTest, call_id: str, long_call: bool) -> None:
        try:
            with CallsClient(self.callvault_url, self.username, self.password, self.account_id) as client:
                self._wait_until_recording(client, call_id)
                with MediaStream(
                    self.callvault_url,
                    self.username,
                    self.password,
                    self.account_id,
                    call_id,
                    {"inbound": PCMU_8K},
                ) as stream:
                    if long_call:
                        self._play_until_hung_up(stream)
                    else:
                        stream.send_audio({"inbound": self.speech})
                        stream.mark()
                        client.hang_up(call_id)
                        stream.wait_closed()
        except ConnectionClosed:
            pass
        except Exception as error:  # reported through the test's status, which the smoke test reads
            test.errors.append(f"{type(error).__name__}: {error}")
        finally:
            test.status = "DEAD"

    @staticmethod
    def _wait_until_recording(client: CallsClient, call_id: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while client.get_call(call_id).get("recordingState") != "recording":
            if time.monotonic() > deadline:
                raise TimeoutError(f"call {call_id} never started recording")
            time.sleep(0.05)

    def _play_until_hung_up(self, stream: MediaStream) -> None:
        size = stream.packet_samples("inbound")
        started = time.monotonic()
        for index in range(int(LONG_RECORDING_LIMIT_S / 0.02)):
            offset = (index * size) % (len(self.speech) - size)
            stream.send_packet("inbound", self.speech[offset : offset + size])
            time.sleep(max(0.0, started + (index + 1) * 0.02 - time.monotonic()))


def _handler(manteca: Manteca) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _path(self) -> str:
            return re.sub("/+", "/", self.path.split("?", 1)[0])

        def _body(self) -> dict[str, Any]:
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
            try:
                parsed = json.loads(raw or b"{}")
            except ValueError:
                return {}
            return parsed if isinstance(parsed, dict) else {}

        def _send(self, status: int, body: str, content_type: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            match = re.fullmatch(r"/tests/([^/]+)", self._path())
            test = manteca.test(match.group(1)) if match else None
            if test is None:
                self._send(404, "{}", "application/json")
                return
            self._send(200, json.dumps(test.as_json()), "application/json")

        def do_POST(self) -> None:
            path, event = self._path(), self._body()
            if path == "/tests":
                self._send(200, manteca.new_test(), "text/plain")
            elif path.startswith("/bxml/"):
                self._send(200, manteca.answer(path.removeprefix("/bxml/"), event), "application/xml")
            elif path == "/recordingAvailable":
                manteca.recording_available(event)
                self._send(204, "", "text/plain")
            elif path == "/transcriptions":
                manteca.transcription_available(event)
                self._send(204, "", "text/plain")
            else:
                self._send(404, "{}", "application/json")

    return Handler
