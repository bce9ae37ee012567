"""Live calls' use cases: create, read and hang up calls; control their recording (BXML verbs,
pause/resume).

Every change is written to the call's row in one transaction; after the commit, that the call
changed is published once on the call control bus, and its media owner follows the row (see
``callvault.calls.control``).
When no process holds the call's media stream, a recording that ends is finished here, empty.
Like every use case in ``services``, each takes ``services: Services`` first.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator

from bandwidth.models import UpdateCall
from bandwidth.models._constraints import CallbackUrl, Credential, Tag
from callvault.calls.bxml import (
    BxmlError,
    PauseRecording,
    ResumeRecording,
    StartRecording,
    StopRecording,
    Verb,
    parse_answer_bxml,
    parse_bxml,
)
from callvault.domain.errors import CallNotActive, NotFound, ValidationFailed
from callvault.domain.ids import new_call_id, new_recording_id
from callvault.domain.jobs import ANSWER_JOB
from callvault.domain.recordings import phone_filter
from callvault.domain.records import ActiveRecording, Call, RecordingState, recording_state_of
from callvault.domain.timefmt import utcnow
from callvault.domain.urls import callback_url_problem
from callvault.services.container import Services
from callvault.services.validation import parse_body
from callvault.services.wire import call_url
from callvault.store import calls_repo, jobs_repo
from callvault.webhooks import events
from callvault.webhooks.delivery import WebhookRequest

__all__ = [
    "AnswerJob",
    "CreateCallRequest",
    "active_call_filter",
    "call_is_active",
    "create_call",
    "execute_answer_bxml",
    "execute_bxml",
    "execute_verbs",
    "get_call",
    "hang_up",
    "list_active_calls",
    "parse_create_call",
    "parse_update_call",
    "require_active_call",
    "set_recording_state",
    "update_call",
]

log = logging.getLogger("callvault.calls")

ANSWER_JOB_ATTEMPTS = 3


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
        problem = callback_url_problem(value) if value is not None else None
        if problem is not None:
            raise ValueError(problem)
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
            job = AnswerJob(
                call.account_id, call.call_id, base_url, _answer_request(services, call, base_url)
            )
            jobs_repo.enqueue(conn, ANSWER_JOB, job.to_payload(), now=now, max_attempts=ANSWER_JOB_ATTEMPTS)
    return call


@dataclass(frozen=True)
class AnswerJob:
    """An `answer` job: the webhook to deliver, and the call whose recording verbs its BXML runs."""

    account_id: str
    call_id: str
    base_url: str
    request: WebhookRequest

    def to_payload(self) -> dict[str, Any]:
        return {
            **self.request.to_payload(),
            "accountId": self.account_id,
            "callId": self.call_id,
            "baseUrl": self.base_url,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> AnswerJob:
        return cls(
            account_id=str(payload["accountId"]),
            call_id=str(payload["callId"]),
            base_url=str(payload["baseUrl"]),
            request=WebhookRequest.from_payload(payload),
        )


def _answer_request(services: Services, call: Call, base_url: str) -> WebhookRequest:
    assert call.answer_url is not None
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
    return WebhookRequest(
        url=call.answer_url,
        method="GET" if call.answer_method == "GET" else "POST",
        body=body,
        username=call.callback_username,
        password=call.callback_password,
        timeout=services.settings.webhook_timeout,
    )


def active_call_filter(
    *,
    from_number: str | None = None,
    to_number: str | None = None,
    siprec_session_id: str | None = None,
    stream_id: str | None = None,
) -> calls_repo.ActiveCallFilter:
    """The filter of active calls as a caller typed it (phone numbers as ``phone_filter`` reads them)."""
    for name, value in (("siprecSessionId", siprec_session_id), ("streamId", stream_id)):
        if value is not None and (len(value) > 256 or any(ord(char) < 32 for char in value)):
            raise ValidationFailed(f"Invalid {name} filter {value[:64]!r}")
    return calls_repo.ActiveCallFilter(
        from_number=phone_filter(from_number, "from"),
        to_number=phone_filter(to_number, "to"),
        siprec_session_id=siprec_session_id or None,
        stream_id=stream_id or None,
    )


def list_active_calls(
    services: Services, account_id: str, flt: calls_repo.ActiveCallFilter | None = None
) -> list[Call]:
    """The account's calls in progress, newest first (the console's live page, ``GET .../calls``)."""
    with services.store.read() as conn:
        return calls_repo.list_active_calls(conn, account_id, flt)


def require_active_call(services: Services, account_id: str, call_id: str) -> Call:
    """The call; :class:`CallNotActive` unless it exists and is active."""
    with services.store.read() as conn:
        call = calls_repo.get_call(conn, account_id, call_id)
    if call is None or call.state != "active":
        raise CallNotActive(f"Call {call_id} is not an active call of account {account_id}")
    return call


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


def hang_up(
    services: Services,
    account_id: str,
    call_id: str,
    *,
    cause: str = "hangup",
    orphaned_only: bool = False,
    media_owner: str | None = None,
) -> bool:
    """End the call and its recording (finished by the media owner, or here when there is none);
    whether this ended it. `orphaned_only`: only when its media owner's process is gone (no
    heartbeat within ``media_owner_timeout``, and no live process here holds its spool).
    `media_owner`: the media session that opened the call and has let its media go; it stops being
    the call's media owner in the same transaction."""
    with services.store.write() as conn:
        locked = calls_repo.lock_call(conn, account_id, call_id)
        if locked is None:
            raise NotFound(f"Call {call_id} not found in account {account_id}")
        call = locked.call
        released = media_owner is not None and locked.media_owner == media_owner
        if call.state != "active":
            if media_owner is not None:
                calls_repo.release_media_owner(conn, account_id, call_id, media_owner)
            return False
        owner_alive = not released and _owner_alive(services, locked)
        if orphaned_only and (
            locked.media_owner is None
            or owner_alive
            or (
                call.recording
                and services.live.spools.spool_held(account_id, call_id, call.recording.recording_id)
            )
        ):
            return False
        now = utcnow()
        calls_repo.update_call(
            conn,
            account_id,
            call_id,
            state="completed",
            end_time=now,
            disconnect_cause=cause,
            recording=None,
            recording_state=None,
            **({"media_owner": None} if released else {}),
        )
    active = call.recording
    services.live.bus.publish(account_id, call_id)
    if active is not None and not owner_alive:
        services.live.spools.finish_abandoned(call, active)
    return True


def _owner_alive(services: Services, locked: calls_repo.LockedCall) -> bool:
    """Whether a live process holds the call's media (a killed one's recording is finished here)."""
    return locked.has_live_owner(utcnow(), services.settings.media_owner_timeout)


# --- recording control ---------------------------------------------------------------------------


def _require_active(conn: Any, account_id: str, call_id: str) -> calls_repo.LockedCall:
    locked = calls_repo.lock_call(conn, account_id, call_id)
    if locked is None or locked.call.state != "active":
        raise CallNotActive(f"Call {call_id} is not an active call of account {account_id}")
    return locked


def set_recording_state(services: Services, account_id: str, call_id: str, state: RecordingState) -> None:
    """Pause (`paused`) or resume (`recording`) the active recording of an active call."""
    state = recording_state_of(state)
    with services.store.write() as conn:
        call = _require_active(conn, account_id, call_id).call
        if call.recording_state not in ("recording", "paused") or call.recording is None:
            raise ValidationFailed(
                f"Call {call_id} has no active recording to set to {state!r}: start one with StartRecording"
            )
        if call.recording_state == state:
            return
        calls_repo.update_call(conn, account_id, call_id, recording_state=state)
    services.live.bus.publish(account_id, call_id)


def execute_bxml(
    services: Services, account_id: str, call_id: str, document: bytes, *, base_url: str
) -> None:
    """Run a `<Bxml>` of recording verbs on an active call; any other verb is a 400 naming it."""
    try:
        verbs = parse_bxml(document)
    except BxmlError as exc:
        raise ValidationFailed(f"Invalid BXML: {exc}") from None
    execute_verbs(services, account_id, call_id, verbs, base_url=base_url)


def _active_recording(
    verb: StartRecording, *, recording_id: str, start_time: datetime, base_url: str
) -> ActiveRecording:
    return ActiveRecording(
        recording_id=recording_id,
        start_time=start_time,
        base_url=base_url,
        **{f.name: getattr(verb, f.name) for f in dataclasses.fields(verb)},
    )


@dataclass
class _Plan:
    """What a run of verbs does to the call's recording."""

    recording: ActiveRecording | None
    state: RecordingState | None
    changed: bool = False
    ended: list[ActiveRecording] = field(default_factory=list)

    def apply(self, verb: Verb, base_url: str) -> None:
        if isinstance(verb, StartRecording):
            if self.recording is None:  # one recording per call: a second start is ignored
                active = _active_recording(
                    verb, recording_id=new_recording_id(), start_time=utcnow(), base_url=base_url
                )
                self.recording, self.state, self.changed = active, "recording", True
        elif isinstance(verb, PauseRecording):
            self._switch("recording", "paused")
        elif isinstance(verb, ResumeRecording):
            self._switch("paused", "recording")
        elif isinstance(verb, StopRecording) and self.recording is not None:
            self.ended.append(self.recording)
            self.recording, self.state, self.changed = None, None, True

    def _switch(self, before: RecordingState, after: RecordingState) -> None:
        if self.recording is not None and self.state == before:
            self.state, self.changed = after, True


def execute_verbs(
    services: Services, account_id: str, call_id: str, verbs: list[Verb], *, base_url: str
) -> None:
    """Apply recording verbs in order, in one transaction; then tell the media owner, once."""
    with services.store.write() as conn:
        locked = _require_active(conn, account_id, call_id)
        call = locked.call
        plan = _Plan(call.recording, call.recording_state)
        for verb in verbs:
            plan.apply(verb, base_url)
        if plan.changed:
            calls_repo.update_call(
                conn, account_id, call_id, recording=plan.recording, recording_state=plan.state
            )
    if plan.changed:
        services.live.bus.publish(account_id, call_id)
    if not _owner_alive(services, locked):
        for active in plan.ended:
            services.live.spools.finish_abandoned(call, active)


# --- the answer webhook's BXML ------------------------------------------------------------------


def execute_answer_bxml(services: Services, job: AnswerJob, document: bytes) -> None:
    """Run the recording verbs of an answer's BXML; other verbs are logged as not executed.
    BxmlError for unsafe or malformed XML."""
    verbs, skipped = parse_answer_bxml(document)
    if skipped:
        log.info("call %s: answer BXML verbs not executed by callvault: %s", job.call_id, ", ".join(skipped))
    try:
        execute_verbs(services, job.account_id, job.call_id, verbs, base_url=job.base_url)
    except CallNotActive:
        log.info("call %s ended before its answer BXML ran", job.call_id)


def call_is_active(services: Services, account_id: str, call_id: str) -> bool:
    with services.store.read() as conn:
        call = calls_repo.get_call(conn, account_id, call_id)
    return call is not None and call.state == "active"
