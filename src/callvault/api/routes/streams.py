"""Media streams from CPaaS platforms, for calls that run there (not created through callvault):

* ``WebSocket /ingest/streams/{format}/{token}``: authenticated by a stream token in the URL
  (``callvault stream-tokens create``), for platforms that cannot send credentials;
* ``WebSocket /ingest/accounts/{accountId}/streams/{format}``: HTTP Basic, like the rest of the API.

``format`` names a parser of ``calls.stream_formats.STREAM_FORMATS``: ``bandwidth``
(``<StartStream>``), ``twilio`` (``<Stream>``) or ``raw`` (a JSON metadata text frame, then binary
L16: jambonz ``listen``, FreeSWITCH ``mod_audio_fork``). The stream's first message creates the call
(with the platform's call id) and its recording, with the account's recording settings; the
stream's end ends both. ``api.live_audio`` pumps the frames and says how each way of ending closes
the socket.
"""

from __future__ import annotations

from typing import cast

from fastapi import APIRouter, Request, WebSocket
from fastapi.concurrency import run_in_threadpool

from callvault.api.auth import authorize, services_of
from callvault.api.live_audio import deny, serve_live_audio
from callvault.calls.stream_formats import STREAM_FORMATS, stream_parser
from callvault.calls.stream_formats.events import StreamParser
from callvault.domain.errors import NotFound, VoiceApiError
from callvault.domain.roles import Permission
from callvault.services.live_audio import LiveAudioSession
from callvault.services.recording_sources import stream_token_of

router = APIRouter()


def _parser(stream_format: str) -> StreamParser:
    parser = stream_parser(stream_format)
    if parser is None:
        raise NotFound(f"unknown stream format {stream_format!r}; use one of {', '.join(STREAM_FORMATS)}")
    return parser


@router.websocket("/ingest/streams/{stream_format}/{token}")
async def stream_with_token(websocket: WebSocket, stream_format: str, token: str) -> None:
    services = services_of(cast(Request, websocket))
    try:
        parser = _parser(stream_format)
        stream_token = await run_in_threadpool(stream_token_of, services.store, token)
        session = LiveAudioSession.of_stream(
            services, stream_token.account_id, token_id=stream_token.token_id
        )
    except VoiceApiError as error:
        await deny(websocket, error)
        return
    await serve_live_audio(websocket, session, parser)


@router.websocket("/ingest/accounts/{accountId}/streams/{stream_format}")
async def stream_with_basic_auth(websocket: WebSocket, accountId: str, stream_format: str) -> None:
    services = services_of(cast(Request, websocket))
    try:
        parser = _parser(stream_format)
        await run_in_threadpool(authorize, cast(Request, websocket), accountId, Permission.RECORD)
        session = LiveAudioSession.of_stream(services, accountId, token_id=None)
    except VoiceApiError as error:
        await deny(websocket, error)
        return
    await serve_live_audio(websocket, session, parser)
