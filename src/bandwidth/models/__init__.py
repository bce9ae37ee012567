"""The wire models, one module each; all re-exported here and from `bandwidth`."""

from __future__ import annotations

from bandwidth.models.answer_callback import AnswerCallback
from bandwidth.models.call_direction_enum import CallDirectionEnum
from bandwidth.models.call_recording_metadata import CallRecordingMetadata
from bandwidth.models.call_state import CallState
from bandwidth.models.call_state_enum import CallStateEnum
from bandwidth.models.callback_method_enum import CallbackMethodEnum
from bandwidth.models.create_call import CreateCall
from bandwidth.models.create_call_response import CreateCallResponse
from bandwidth.models.file_format_enum import FileFormatEnum
from bandwidth.models.machine_detection_configuration import MachineDetectionConfiguration
from bandwidth.models.machine_detection_mode_enum import MachineDetectionModeEnum
from bandwidth.models.machine_detection_result import MachineDetectionResult
from bandwidth.models.recording_available_callback import RecordingAvailableCallback
from bandwidth.models.recording_complete_callback import RecordingCompleteCallback
from bandwidth.models.recording_state_enum import RecordingStateEnum
from bandwidth.models.recording_transcription_clip import RecordingTranscriptionClip
from bandwidth.models.recording_transcription_metadata import RecordingTranscriptionMetadata
from bandwidth.models.recording_transcriptions import RecordingTranscriptions
from bandwidth.models.redirect_method_enum import RedirectMethodEnum
from bandwidth.models.transcribe_recording import TranscribeRecording
from bandwidth.models.transcription import Transcription
from bandwidth.models.transcription_available_callback import TranscriptionAvailableCallback
from bandwidth.models.update_call import UpdateCall
from bandwidth.models.update_call_recording import UpdateCallRecording
from bandwidth.models.voice_api_error import VoiceApiError

__all__ = [
    "AnswerCallback",
    "CallDirectionEnum",
    "CallRecordingMetadata",
    "CallState",
    "CallStateEnum",
    "CallbackMethodEnum",
    "CreateCall",
    "CreateCallResponse",
    "FileFormatEnum",
    "MachineDetectionConfiguration",
    "MachineDetectionModeEnum",
    "MachineDetectionResult",
    "RecordingAvailableCallback",
    "RecordingCompleteCallback",
    "RecordingStateEnum",
    "RecordingTranscriptionClip",
    "RecordingTranscriptionMetadata",
    "RecordingTranscriptions",
    "RedirectMethodEnum",
    "TranscribeRecording",
    "Transcription",
    "TranscriptionAvailableCallback",
    "UpdateCall",
    "UpdateCallRecording",
    "VoiceApiError",
]
