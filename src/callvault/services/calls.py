"""Live calls: create, read and hang up calls; control their recording (BXML verbs, pause/resume).

Every change is written to the call's row in one transaction; the commands that the live recorder
must apply are published on the call control bus after the commit (see ``callvault.calls.control``).
When no process holds the call's media stream, a recording that ends is finished here, empty.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal
from xml.etree.ElementTree import ParseError, tostring

import defusedxml
from defusedxml.ElementTree import fromstring
from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator

from bandwidth.models import UpdateCall
from bandwidth.models._constraints import CallbackUrl, Credential, Tag
from callvault.calls.bxml import (
    MAX_BXML_BYTES,
    BxmlError,
    PauseRecording,
    ResumeRecording,
    StartRecording,
    StopRecording,
    Verb,
    parse_bxml,
)
from callvault.calls.control import ControlCommand
from callvault.calls.service import ActiveRecording, CallNotActive, live_calls
from callvault.domain.errors import NotFound, ValidationFailed
from callvault.domain.ids import new_call_id, new_recording_id
from callvault.domain.records import Call, Job
from callvault.domain.timefmt import utcnow
from callvault.jobs.runner import GiveUp, JobHandler
from callvault.jobs.webhook_job import _recorder as attempt_recorder
from callvault.services.container import Services
from callvault.services.validation import parse_body
from callvault.services.wire import call_url
from callvault.store import calls_repo, jobs_repo
from callvault.webhooks import events
from callvault.webhooks.delivery import WebhookRequest, deliver

__all__ = [
    "ANSWER_JOB",
    "CreateCallRequest",
    "create_call",
    "execute_bxml",
    "execute_verbs",
    "get_call",
    "hang_up",
    "make_answer_handler",
    "parse_create_call",
    "parse_update_call",
    "recording_verbs_of",
    "set_recording_state",
    "update_call",
]

log = logging.getLogger("callvault.calls")

ANSWER_JOB = "answer"
_RECORDING_VERBS = frozenset({"StartRecording", "PauseRecording", "ResumeRecording", "StopRecording"})


class CreateCallRequest(BaseModel):
    """The subset of Bandwidth's Create Call body callvault uses (other CreateCall keys are ignored)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    to: StrictStr = Field(max_length=64)
    from_: StrictStr = Field(alias="from", max_length=64)
    application_id: StrictStr = Field(alias="applicationId", max_length=128)
    answer_url: CallbackUrl | None = Field(default=None, alias="answerUrl")
    answer_method: Literal["GET", "POST"] = Field(default="POST", alias="answerMethod")
    username: Credential | None = None
    password: Credential | None = None
    tag: Tag | None = None
    direction: Literal["inbound", "outbound"] = "outbound"

    @field_validator("answer_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.lower().startswith(("http://", "https://")):
            raise ValueError("must be an absolute http or https URL")
        return value

    @field_validator("answer_method", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else ("POST" if value is None else value)


def parse_create_call(body: Any) -> CreateCallRequest:
    return parse_body(CreateCallRequest, body)


def parse_update_call(body: Any) -> UpdateCall:
    return parse_body(UpdateCall, body, hint=" (state must be 'active' or 'completed')")


# --- calls ---------------------------------------------------------------------------------------


def create_call(services: Services, account_id: str, request: CreateCallRequest, *, base_url: str) -> Call:
    """An active (answered) call; its `answer` webhook is a job of the same transaction."""
    now = utcnow()
    call = Call(
        call_id=new_call_id(),
        account_id=account_id,
        direction=request.direction,
        state="active",
        start_time=now,
        application_id=request.application_id,
        from_number=request.from_,
        to_number=request.to,
        answer_time=now,
        answer_url=request.answer_url,
        answer_method=request.answer_method,
        callback_username=request.username,
        callback_password=request.password,
        tag=request.tag,
    )
    with services.store.write() as conn:
        calls_repo.insert_call(conn, call)
        if call.answer_url:
            jobs_repo.enqueue(
                conn, ANSWER_JOB, _answer_payload(services, call, base_url), now=now, max_attempts=3
            )
    return call


def _answer_payload(services: Services, call: Call, base_url: str) -> dict[str, Any]:
    body = events.answer(
        event_time=utcnow(),
        account_id=call.account_id,
        application_id=call.application_id or "",
        from_=call.from_number or "",
        to=call.to_number or "",
        direction="inbound" if call.direction == "inbound" else "outbound",
        call_id=call.call_id,
        call_url=call_url(base_url, call.account_id, call.call_id),
        start_time=call.start_time,
        answer_time=call.answer_time,
        tag=call.tag,
    )
    return {
        "accountId": call.account_id,
        "callId": call.call_id,
        "url": call.answer_url,
        "method": call.answer_method or "POST",
        "username": call.callback_username,
        "password": call.callback_password,
        "timeout": services.settings.webhook_timeout,
        "body": body,
        "baseUrl": base_url,
    }


def get_call(services: Services, account_id: str, call_id: str) -> Call:
    with services.store.read() as conn:
        call = calls_repo.get_call(conn, account_id, call_id)
    if call is None:
        raise NotFound(f"Call {call_id} not found in account {account_id}")
    return call


def update_call(services: Services, account_id: str, call_id: str, update: UpdateCall) -> None:
    """`completed` hangs up; `active` with no redirect leaves the call as it is."""
    if update.redirect_url:
        raise ValidationFailed("callvault does not redirect calls: redirectUrl is not supported")
    state = update.state.value if update.state is not None else "active"
    if state == "completed":
        hang_up(services, account_id, call_id)
        return
    call = get_call(services, account_id, call_id)
    if call.state != "active":
        raise NotFound(f"Call {call_id} has ended")


def hang_up(services: Services, account_id: str, call_id: str) -> None:
    """End the call and its recording (finished by the media owner, or here when there is none)."""
    with services.store.write() as conn:
        locked = calls_repo.lock_call(conn, account_id, call_id)
        if locked is None:
            raise NotFound(f"Call {call_id} not found in account {account_id}")
        call = locked.call
        if call.state != "active":
            return
        now = utcnow()
        calls_repo.update_call(
            conn,
            call_id,
            state="completed",
            end_time=now,
            disconnect_cause="hangup",
            recording=None,
            recording_state=None,
        )
    active = ActiveRecording.from_json(call.recording) if call.recording else None
    live = live_calls(services)
    live.bus.publish(call_id, ControlCommand("hangup", active.recording_id if active else None))
    if active is not None and not _owner_alive(services, locked):
        live.finish_without_media(call, active)


def _owner_alive(services: Services, locked: calls_repo.LockedCall) -> bool:
    """Whether a live process holds the call's media (a killed one's recording is finished here)."""
    return locked.has_live_owner(utcnow(), services.settings.media_owner_timeout)


# --- recording control ---------------------------------------------------------------------------


def _require_active(conn: Any, account_id: str, call_id: str) -> calls_repo.LockedCall:
    locked = calls_repo.lock_call(conn, account_id, call_id)
    if locked is None or locked.call.state != "active":
        raise CallNotActive(f"Call {call_id} is not an active call of account {account_id}")
    return locked


def set_recording_state(services: Services, account_id: str, call_id: str, state: str) -> None:
    """Pause (`paused`) or resume (`recording`) the active recording of an active call."""
    with services.store.write() as conn:
        call = _require_active(conn, account_id, call_id).call
        if call.recording_state not in ("recording", "paused") or not call.recording:
            raise ValidationFailed(
                f"Call {call_id} has no active recording to set to {state!r}: start one with StartRecording"
            )
        recording_id = call.recording["recording_id"]
        if call.recording_state == state:
            return
        calls_repo.update_call(conn, call_id, recording_state=state)
    action: Literal["pause", "resume"] = "pause" if state == "paused" else "resume"
    live_calls(services).bus.publish(call_id, ControlCommand(action, recording_id))


def execute_bxml(
    services: Services, account_id: str, call_id: str, document: bytes, *, base_url: str
) -> None:
    """Run a `<Bxml>` of recording verbs on an active call; any other verb is a 400 naming it."""
    try:
        verbs = parse_bxml(document)
    except BxmlError as exc:
        raise ValidationFailed(f"Invalid BXML: {exc}") from None
    execute_verbs(services, account_id, call_id, verbs, base_url=base_url)


@dataclass
class _Plan:
    """What a run of verbs does to the call's recording."""

    recording: dict[str, Any] | None
    state: str | None
    commands: list[ControlCommand] = field(default_factory=list)
    ended: list[ActiveRecording] = field(default_factory=list)

    @property
    def recording_id(self) -> str | None:
        return str(self.recording["recording_id"]) if self.recording else None

    def apply(self, verb: Verb, base_url: str) -> None:
        if isinstance(verb, StartRecording):
            if self.recording is None:  # one recording per call: a second start is ignored
                active = ActiveRecording.from_verb(
                    verb, recording_id=new_recording_id(), start_time=utcnow(), base_url=base_url
                )
                self.recording, self.state = active.to_json(), "recording"
                self.commands.append(ControlCommand("start", active.recording_id))
        elif isinstance(verb, PauseRecording):
            self._switch("recording", "paused", "pause")
        elif isinstance(verb, ResumeRecording):
            self._switch("paused", "recording", "resume")
        elif isinstance(verb, StopRecording) and self.recording is not None:
            self.commands.append(ControlCommand("stop", self.recording_id))
            self.ended.append(ActiveRecording.from_json(self.recording))
            self.recording, self.state = None, None

    def _switch(self, before: str, after: str, action: Literal["pause", "resume"]) -> None:
        if self.recording is not None and self.state == before:
            self.state = after
            self.commands.append(ControlCommand(action, self.recording_id))


def execute_verbs(
    services: Services, account_id: str, call_id: str, verbs: list[Verb], *, base_url: str
) -> None:
    """Apply recording verbs in order, in one transaction; then tell the media owner."""
    with services.store.write() as conn:
        locked = _require_active(conn, account_id, call_id)
        call = locked.call
        plan = _Plan(call.recording, call.recording_state)
        for verb in verbs:
            plan.apply(verb, base_url)
        if plan.commands:
            calls_repo.update_call(conn, call_id, recording=plan.recording, recording_state=plan.state)
    live = live_calls(services)
    for command in plan.commands:
        live.bus.publish(call_id, command)
    if not _owner_alive(services, locked):
        for active in plan.ended:
            live.finish_without_media(call, active)


# --- the answer webhook --------------------------------------------------------------------------


def recording_verbs_of(document: bytes) -> tuple[list[Verb], list[str]]:
    """The recording verbs of an answer's BXML (root `<Bxml>` or `<Response>`) and the names of the
    other verbs, which callvault does not execute. BxmlError for unsafe or malformed XML."""
    if len(document) > MAX_BXML_BYTES:
        raise BxmlError(f"BXML document is {len(document)} bytes; the limit is {MAX_BXML_BYTES}")
    try:
        root = fromstring(document, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (defusedxml.DefusedXmlException, ParseError) as exc:
        raise BxmlError(f"malformed or unsafe BXML: {exc}") from exc
    if root.tag not in ("Bxml", "Response"):
        raise BxmlError(f"BXML root element must be <Bxml>, got <{root.tag}>")
    verbs: list[Verb] = []
    skipped: list[str] = []
    for element in root:
        if element.tag in _RECORDING_VERBS:
            element.tail = None
            verbs.extend(parse_bxml(b"<Bxml>" + tostring(element) + b"</Bxml>"))
        else:
            skipped.append(str(element.tag))
    return verbs, skipped


def make_answer_handler(services: Services) -> JobHandler:
    """Deliver the `answer` webhook, then execute the recording verbs of the BXML it returns."""

    def handle(job: Job) -> None:
        payload = job.payload
        account_id, call_id = payload["accountId"], payload["callId"]
        with services.store.read() as conn:
            call = calls_repo.get_call(conn, account_id, call_id)
        if call is None or call.state != "active":
            return
        request = WebhookRequest(
            url=payload["url"],
            method="GET" if payload["method"] == "GET" else "POST",
            body=payload["body"],
            username=payload.get("username"),
            password=payload.get("password"),
            timeout=float(payload.get("timeout") or services.settings.webhook_timeout),
        )
        result = deliver(request, on_attempt=attempt_recorder(services.store, job, "answer", request.url))
        if not result.delivered:
            raise GiveUp(f"answer to {request.url} was not delivered after {len(result.attempts)} attempts")
        document = (result.response_body or b"").strip()
        if document:
            _execute_answer(services, account_id, call_id, document, payload["baseUrl"])

    return handle


def _execute_answer(
    services: Services, account_id: str, call_id: str, document: bytes, base_url: str
) -> None:
    try:
        verbs, skipped = recording_verbs_of(document)
    except BxmlError as exc:
        raise GiveUp(f"the answer's BXML was refused: {exc}") from None
    if skipped:
        log.info("call %s: answer BXML verbs not executed by callvault: %s", call_id, ", ".join(skipped))
    try:
        execute_verbs(services, account_id, call_id, verbs, base_url=base_url)
    except CallNotActive:
        log.info("call %s ended before its answer BXML ran", call_id)
