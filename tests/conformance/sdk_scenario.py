"""Drive every RecordingsApi method of the OFFICIAL bandwidth-sdk against a callvault server.

Meant to run under a separate virtual environment where ``bandwidth-sdk==23.3.1`` is installed (it
imports as ``bandwidth`` too, so it must never see callvault's own ``src/`` on its path)::

    python sdk_scenario.py --url http://127.0.0.1:8080 --user U --password P \
        --account 9900000 --call c-... --recording r-... [--transcription-wait 30] [--auth oauth2]

``--auth oauth2`` configures the SDK with client_id/client_secret (the user's name and password) and
callvault's access_token_url, as the current SDKs do by default; ``basic`` (the default) uses
username/password.

Every option can come from the environment instead: SCENARIO_URL, SCENARIO_USER, SCENARIO_PASSWORD,
SCENARIO_ACCOUNT, SCENARIO_CALL, SCENARIO_RECORDING, SCENARIO_TRANSCRIPTION_WAIT, SCENARIO_AUTH.

The recording must exist and have media. The scenario ends by deleting it. It prints one JSON
summary on stdout and exits 1 if any step had an unexpected outcome, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import bandwidth
from bandwidth.exceptions import ApiException

OK = "ok"
NOT_FOUND = "404"
UNAUTHORIZED = "401"
FORBIDDEN = "403"
MALFORMED_ACCOUNT = "not an account id"
MALFORMED_CALL = "not a call id"
MALFORMED_RECORDING = "not a recording id"
FAR_FUTURE = "2100-01-01T00:00:00Z"
UNKNOWN_CALL = "c-00000000-00000000-0000-0000-0000-000000000000"
UNKNOWN_RECORDING = "r-00000000-00000000-0000-0000-0000-000000000000"


@dataclass
class StepResult:
    name: str
    outcome: str
    expected: list[str]
    detail: Any = None

    @property
    def ok(self) -> bool:
        return self.outcome in self.expected


@dataclass
class Scenario:
    url: str
    user: str
    password: str
    account: str
    call: str
    recording: str
    transcription_wait: float
    auth: str = "basic"
    results: list[StepResult] = field(default_factory=list)
    metadata: Any = None

    def __post_init__(self) -> None:
        self.api = bandwidth.RecordingsApi(bandwidth.ApiClient(self._configuration(self.password)))

    def _configuration(self, password: str) -> Any:
        # The official SDK sends every operation to its operation server (voice.bandwidth.com)
        # unless ignore_operation_servers is set; then `host` is used as given.
        host = self.url.rstrip("/") + "/api/v2"
        if self.auth == "oauth2":
            return bandwidth.Configuration(
                host=host,
                client_id=self.user,
                client_secret=password,
                access_token_url=self.url.rstrip("/") + "/api/v1/oauth2/token",
                ignore_operation_servers=True,
            )
        return bandwidth.Configuration(
            host=host, username=self.user, password=password, ignore_operation_servers=True
        )

    def step(self, name: str, action: Callable[[], Any], expected: Iterable[str] = (OK,)) -> StepResult:
        try:
            outcome, detail = OK, action()
        except ApiException as error:
            outcome, detail = str(error.status), {"reason": error.reason, "body": error.body}
        except Exception as error:  # an assertion or a client-side failure: always unexpected
            outcome = type(error).__name__
            detail = {"error": str(error), "traceback": traceback.format_exc(limit=3)}
        result = StepResult(name, outcome, list(expected), detail)
        self.results.append(result)
        return result

    # -- the steps ----------------------------------------------------------------------------------

    def run(self) -> None:
        self.step("get_call_recording", self.get_recording)
        self.step("get_call_recording_with_http_info", self.get_recording_with_http_info)
        self.step("get_call_recording(unknown)", self.get_unknown_recording, [NOT_FOUND])
        if self.auth == "oauth2":
            self.step("list_call_recordings(tampered token)", self.list_with_tampered_token, [UNAUTHORIZED])
        else:
            self.step("list_call_recordings(wrong password)", self.list_with_wrong_password, [UNAUTHORIZED])
        self.malformed_ids()
        self.step("list_call_recordings", self.list_call_recordings)
        self.step("list_account_call_recordings", self.list_account_recordings)
        self.step("list_account_call_recordings(from,to)", self.list_account_recordings_by_numbers)
        self.step("list_account_call_recordings(minStartTime future)", self.list_account_recordings_in_future)
        self.step("download_call_recording", self.download)
        self.step("download_call_recording_without_preload_content", self.download_streamed)
        self.step("transcribe_call_recording", self.transcribe)
        self.step("get_recording_transcription", self.wait_for_transcription)
        self.step("update_call_recording_state(unknown call)", self.pause_unknown_call, [NOT_FOUND])
        self.step("delete_recording_transcription", self.delete_transcription)
        self.step("get_recording_transcription(after deletion)", self.get_transcription, [NOT_FOUND])
        self.step("delete_recording_media", self.delete_media)
        self.step("download_call_recording(after media deletion)", self.download, [NOT_FOUND])
        self.step("delete_recording", self.delete_recording)
        self.step("get_call_recording(after deletion)", self.get_recording, [NOT_FOUND])

    def get_recording(self) -> Any:
        metadata = self.api.get_call_recording(self.account, self.call, self.recording)
        _check(metadata.recording_id == self.recording, f"recordingId {metadata.recording_id!r}")
        _check(metadata.call_id == self.call, f"callId {metadata.call_id!r}")
        self.metadata = metadata
        return metadata.to_dict()

    def get_recording_with_http_info(self) -> Any:
        response = self.api.get_call_recording_with_http_info(self.account, self.call, self.recording)
        _check(response.status_code == 200, f"status {response.status_code}")
        return {
            "status_code": response.status_code,
            "content_type": (response.headers or {}).get("content-type"),
        }

    def malformed_ids(self) -> None:
        """What Bandwidth answers, and its own smoke tests expect, for ids that cannot exist."""
        account, call, recording = self.account, self.call, self.recording
        api = self.api
        self.step("list_call_recordings(malformed call)", self.list_malformed_call)
        self.step(
            "list_account_call_recordings(malformed account)",
            lambda: api.list_account_call_recordings(MALFORMED_ACCOUNT),
            [FORBIDDEN],
        )
        self.step(
            "get_call_recording(malformed account)",
            lambda: api.get_call_recording(MALFORMED_ACCOUNT, call, recording),
            [FORBIDDEN],
        )
        for name in (
            "get_call_recording",
            "download_call_recording",
            "get_recording_transcription",
            "delete_recording_transcription",
            "delete_recording_media",
            "delete_recording",
        ):
            method = getattr(api, name)
            self.step(
                f"{name}(malformed recording)",
                lambda method=method: method(account, call, MALFORMED_RECORDING),
                [NOT_FOUND],
            )
        self.step(
            "transcribe_call_recording(malformed recording)",
            lambda: api.transcribe_call_recording(
                account, call, MALFORMED_RECORDING, bandwidth.TranscribeRecording()
            ),
            [NOT_FOUND],
        )
        self.step(
            "update_call_recording_state(malformed call)",
            lambda: api.update_call_recording_state(
                account,
                MALFORMED_CALL,
                bandwidth.UpdateCallRecording(state=bandwidth.RecordingStateEnum.PAUSED),
            ),
            [NOT_FOUND],
        )

    def list_malformed_call(self) -> Any:
        found = self.api.list_call_recordings(self.account, MALFORMED_CALL)
        _check(found == [], f"recordings listed for a malformed call id: {found}")
        return found

    def list_with_tampered_token(self) -> Any:
        token = self.api.api_client.configuration.get_access_token()
        head, payload, signature = token.split(".")
        tampered = f"{head}.{payload}.{signature[::-1]}"
        configuration = bandwidth.Configuration(
            host=self.url.rstrip("/") + "/api/v2", access_token=tampered, ignore_operation_servers=True
        )
        return len(
            bandwidth.RecordingsApi(bandwidth.ApiClient(configuration)).list_call_recordings(
                self.account, self.call
            )
        )

    def get_unknown_recording(self) -> Any:
        return self.api.get_call_recording(self.account, self.call, UNKNOWN_RECORDING).to_dict()

    def list_with_wrong_password(self) -> Any:
        api = bandwidth.RecordingsApi(bandwidth.ApiClient(self._configuration(self.password + "-wrong")))
        return len(api.list_call_recordings(self.account, self.call))

    def list_call_recordings(self) -> Any:
        ids = _recording_ids(self.api.list_call_recordings(self.account, self.call))
        _check(self.recording in ids, f"{self.recording} missing from {ids}")
        return ids

    def list_account_recordings(self) -> Any:
        ids = _recording_ids(self.api.list_account_call_recordings(self.account))
        _check(self.recording in ids, f"{self.recording} missing from {len(ids)} recordings")
        return len(ids)

    def list_account_recordings_by_numbers(self) -> Any:
        metadata = self.metadata
        _check(metadata is not None, "get_call_recording failed earlier")
        recordings = self.api.list_account_call_recordings(
            self.account, to=metadata.to, var_from=metadata.var_from
        )
        ids = _recording_ids(recordings)
        _check(self.recording in ids, f"{self.recording} missing when filtering by its own from/to")
        _check(
            all(r.to == metadata.to and r.var_from == metadata.var_from for r in recordings),
            "a recording with other numbers came through the from/to filter",
        )
        return {"from": metadata.var_from, "to": metadata.to, "count": len(ids)}

    def list_account_recordings_in_future(self) -> Any:
        ids = _recording_ids(self.api.list_account_call_recordings(self.account, min_start_time=FAR_FUTURE))
        _check(self.recording not in ids, "minStartTime in 2100 still lists the recording")
        return len(ids)

    def download(self) -> Any:
        media = self.api.download_call_recording(self.account, self.call, self.recording)
        _check(isinstance(media, bytes | bytearray), f"download returned {type(media).__name__}")
        _check(len(media) > 0, "empty media")
        _check_magic(bytes(media[:4]), self.metadata)
        return {"bytes": len(media), "magic": bytes(media[:4]).hex()}

    def download_streamed(self) -> Any:
        response = self.api.download_call_recording_without_preload_content(
            self.account, self.call, self.recording
        )
        try:
            _check(response.status == 200, f"status {response.status}")
            size = sum(len(chunk) for chunk in response.stream(64 * 1024))
        finally:
            response.release_conn()
        _check(size > 0, "empty media")
        return {"bytes": size}

    def transcribe(self) -> Any:
        request = bandwidth.TranscribeRecording()
        return self.api.transcribe_call_recording(self.account, self.call, self.recording, request)

    def wait_for_transcription(self) -> Any:
        deadline = time.monotonic() + self.transcription_wait
        while True:
            try:
                transcriptions = self.api.get_recording_transcription(self.account, self.call, self.recording)
            except ApiException as error:
                if error.status != 404 or time.monotonic() >= deadline:
                    raise
                time.sleep(1.0)
                continue
            _check(transcriptions.transcripts is not None, "no transcripts member")
            return transcriptions.to_dict()

    def get_transcription(self) -> Any:
        return self.api.get_recording_transcription(self.account, self.call, self.recording).to_dict()

    def pause_unknown_call(self) -> Any:
        body = bandwidth.UpdateCallRecording(state=bandwidth.RecordingStateEnum.PAUSED)
        return self.api.update_call_recording_state(self.account, UNKNOWN_CALL, body)

    def delete_transcription(self) -> Any:
        return self.api.delete_recording_transcription(self.account, self.call, self.recording)

    def delete_media(self) -> Any:
        return self.api.delete_recording_media(self.account, self.call, self.recording)

    def delete_recording(self) -> Any:
        return self.api.delete_recording(self.account, self.call, self.recording)

    def summary(self) -> dict[str, Any]:
        return {
            "ok": all(result.ok for result in self.results),
            "sdk": {"version": getattr(bandwidth, "__version__", None), "file": bandwidth.__file__},
            "host": self.url,
            "steps": [asdict(result) | {"ok": result.ok} for result in self.results],
        }


class UnexpectedResult(AssertionError):
    """A response that came back but is not what the API promises."""


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise UnexpectedResult(message)


def _check_magic(head: bytes, metadata: Any) -> None:
    file_format = getattr(getattr(metadata, "file_format", None), "value", None)
    if file_format == "wav":
        _check(head == b"RIFF", f"a wav recording starting with {head!r}")
    elif file_format == "mp3":
        _check(head[:3] == b"ID3" or head[:1] == b"\xff", f"an mp3 recording starting with {head!r}")


def _recording_ids(recordings: list[Any]) -> list[str]:
    return [recording.recording_id for recording in recordings]


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=env("SCENARIO_URL"), help="server root, e.g. http://127.0.0.1:8080")
    parser.add_argument("--user", default=env("SCENARIO_USER"))
    parser.add_argument("--password", default=env("SCENARIO_PASSWORD"))
    parser.add_argument("--account", default=env("SCENARIO_ACCOUNT"))
    parser.add_argument("--call", default=env("SCENARIO_CALL"))
    parser.add_argument("--recording", default=env("SCENARIO_RECORDING"))
    parser.add_argument(
        "--transcription-wait",
        type=float,
        default=float(env("SCENARIO_TRANSCRIPTION_WAIT", "0")),
        help="seconds to poll Get Transcription while it answers 404",
    )
    parser.add_argument("--auth", choices=["basic", "oauth2"], default=env("SCENARIO_AUTH", "basic"))
    args = parser.parse_args(argv)
    missing = [
        name
        for name in ("url", "user", "password", "account", "call", "recording")
        if not getattr(args, name)
    ]
    if missing:
        parser.error("missing: " + ", ".join(missing))
    return args


def main(argv: list[str]) -> int:
    args = parse_arguments(argv)
    scenario = Scenario(
        url=args.url,
        user=args.user,
        password=args.password,
        account=args.account,
        call=args.call,
        recording=args.recording,
        transcription_wait=args.transcription_wait,
        auth=args.auth,
    )
    scenario.run()
    summary = scenario.summary()
    print(json.dumps(summary, indent=2, default=str))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
