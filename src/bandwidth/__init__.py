"""`bandwidth`: a Python client for the Recordings part of Bandwidth's Voice API, with the names and
signatures of the official ``bandwidth-sdk`` 23.3.1 (OpenAPI-generator, pydantic v2).

It talks to any server that speaks the API, callvault included; it imports nothing from callvault.
"""

from __future__ import annotations

from bandwidth import rest
from bandwidth._version import __version__
from bandwidth.api.recordings_api import RecordingsApi
from bandwidth.api_client import ApiClient
from bandwidth.api_response import ApiResponse
from bandwidth.configuration import Configuration
from bandwidth.exceptions import (
    ApiAttributeError,
    ApiException,
    ApiKeyError,
    ApiTypeError,
    ApiValueError,
    OpenApiException,
)
from bandwidth.models import (
    AnswerCallback,
    CallbackMethodEnum,
    CallDirectionEnum,
    CallRecordingMetadata,
    CallState,
    CallStateEnum,
    CreateCall,
    CreateCallResponse,
    FileFormatEnum,
    MachineDetectionConfiguration,
    MachineDetectionModeEnum,
    MachineDetectionResult,
    RecordingAvailableCallback,
    RecordingCompleteCallback,
    RecordingStateEnum,
    RecordingTranscriptionClip,
    RecordingTranscriptionMetadata,
    RecordingTranscriptions,
    RedirectMethodEnum,
    TranscribeRecording,
    Transcription,
    TranscriptionAvailableCallback,
    UpdateCall,
    UpdateCallRecording,
    VoiceApiError,
)

__all__ = [
    "AnswerCallback",
    "ApiAttributeError",
    "ApiClient",
    "ApiException",
    "ApiKeyError",
    "ApiResponse",
    "ApiTypeError",
    "ApiValueError",
    "CallDirectionEnum",
    "CallRecordingMetadata",
    "CallState",
    "CallStateEnum",
    "CallbackMethodEnum",
    "Configuration",
    "CreateCall",
    "CreateCallResponse",
    "FileFormatEnum",
    "MachineDetectionConfiguration",
    "MachineDetectionModeEnum",
    "MachineDetectionResult",
    "OpenApiException",
    "RecordingAvailableCallback",
    "RecordingCompleteCallback",
    "RecordingStateEnum",
    "RecordingTranscriptionClip",
    "RecordingTranscriptionMetadata",
    "RecordingTranscriptions",
    "RecordingsApi",
    "RedirectMethodEnum",
    "TranscribeRecording",
    "Transcription",
    "TranscriptionAvailableCallback",
    "UpdateCall",
    "UpdateCallRecording",
    "VoiceApiError",
    "__version__",
    "rest",
]
