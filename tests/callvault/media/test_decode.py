"""callvault.media.decode on real files: WAV and MP3, mono and stereo, 8 and 16 kHz, long recordings."""

from __future__ import annotations

import tracemalloc
import wave
from collections.abc import Callable
from pathlib import Path

import lameenc
import numpy as np
import pytest

from callvault.media.decode import (
    SPEECH_SAMPLE_RATE,
    AudioChunk,
    AudioDecodeError,
    audio_duration,
    iter_channel_chunks,
    probe_audio,
)

SpeechPath = Callable[[str], Path]


def write_wav(path: Path, channels: list[np.ndarray], rate: int) -> Path:
    """PCM16 WAV from float channels in [-1, 1]."""
    interleaved = np.stack(channels, axis=1)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(len(channels))
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((np.clip(interleaved, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def write_silent_wav(path: Path, seconds: float, rate: int) -> Path:
    """A real PCM16 mono WAV of ``seconds`` of silence, stored sparse (the data is a hole)."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.setnframes(int(seconds * rate))
        out.writeframes(b"")
    with path.open("r+b") as f:
        f.truncate(44 + int(seconds * rate) * 2)
    return path


def sine(freq: float, seconds: float, rate: int, amplitude: float = 0.5) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * freq * np.arange(int(seconds * rate)) / rate)


def dominant_frequency(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


def decode_whole(path: Path, chunk_seconds: float = 600.0) -> tuple[list[AudioChunk], list[np.ndarray]]:
    chunks = list(iter_channel_chunks(path, chunk_seconds=chunk_seconds))
    joined = [np.concatenate(parts) for parts in zip(*(chunk.channels for chunk in chunks), strict=True)]
    return chunks, joined


@pytest.mark.parametrize(
    ("name", "rate", "channels"),
    [
        ("english_16k", 16000, 1),
        ("english_8k", 8000, 1),
        ("call_stereo_8k", 8000, 2),
        ("short_0_3s_16k", 16000, 1),
    ],
)
def test_probe_reads_duration_channels_and_rate(
    speech_path: SpeechPath, name: str, rate: int, channels: int
) -> None:
    path = speech_path(name)
    with wave.open(str(path)) as wav:
        expected = wav.getnframes() / wav.getframerate()
    info = probe_audio(path)
    assert (info.channels, info.sample_rate) == (channels, rate)
    assert info.duration == pytest.approx(expected, abs=1e-3)
    assert audio_duration(path) == info.duration


def test_decoding_resamples_8k_to_16k_and_keeps_pitch_and_level(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "tone.wav", [sine(1000, 2.0, 8000)], 8000)
    chunks, (channel,) = decode_whole(path)
    assert len(chunks) == 1 and chunks[0].sample_rate == SPEECH_SAMPLE_RATE
    assert channel.dtype == np.float32
    assert abs(len(channel) - 2 * SPEECH_SAMPLE_RATE) <= 32
    assert dominant_frequency(channel, SPEECH_SAMPLE_RATE) == pytest.approx(1000, abs=5)
    assert float(np.max(np.abs(channel[1000:-1000]))) == pytest.approx(0.5, abs=0.02)


def test_stereo_channels_stay_apart_in_order(tmp_path: Path) -> None:
    left, right = sine(440, 1.5, 8000), np.zeros(12000)
    _, (first, second) = decode_whole(write_wav(tmp_path / "stereo.wav", [left, right], 8000))
    assert dominant_frequency(first, SPEECH_SAMPLE_RATE) == pytest.approx(440, abs=5)
    assert float(np.max(np.abs(second))) < 1e-3 < float(np.max(np.abs(first)))


def test_speech_fixture_stereo_channels_speak_at_different_times(speech_path: SpeechPath) -> None:
    _, (caller, agent) = decode_whole(speech_path("call_stereo_8k"))
    half = len(caller) // 2
    assert np.abs(agent[:half]).mean() > 10 * np.abs(caller[:half]).mean()
    assert np.abs(caller[half:]).mean() > 10 * np.abs(agent[half:]).mean()


def test_chunks_tile_the_recording_and_are_cut_near_their_nominal_size(speech_path: SpeechPath) -> None:
    path = speech_path("english_16k")
    chunks, (channel,) = decode_whole(path, chunk_seconds=2.0)
    assert abs(len(channel) - probe_audio(path).duration * SPEECH_SAMPLE_RATE) <= 1
    assert len(chunks) == 4
    position = 0.0
    for chunk in chunks:
        assert chunk.start == pytest.approx(position, abs=1e-9)
        position += chunk.duration
    assert all(1.8 <= chunk.duration <= 2.0 for chunk in chunks[:-1])


def test_chunk_boundaries_fall_in_the_quietest_moment(tmp_path: Path) -> None:
    rate = 16000
    loud = sine(300, 1.95, rate)
    quiet_gap = np.zeros(int(0.04 * rate))
    path = write_wav(tmp_path / "gap.wav", [np.concatenate([loud, quiet_gap, sine(300, 2.0, rate)])], rate)
    chunks = list(iter_channel_chunks(path, chunk_seconds=2.0))
    assert 1.95 <= chunks[0].duration <= 1.99


def test_mp3_decodes_to_the_same_length(tmp_path: Path, speech_path: SpeechPath) -> None:
    source = speech_path("english_16k")
    with wave.open(str(source)) as wav:
        pcm = wav.readframes(wav.getnframes())
        seconds = wav.getnframes() / wav.getframerate()
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(32)
    encoder.set_in_sample_rate(16000)
    encoder.set_channels(1)
    mp3 = tmp_path / "english.mp3"
    mp3.write_bytes(encoder.encode(pcm) + encoder.flush())
    assert audio_duration(mp3) == pytest.approx(seconds, abs=0.15)
    _, (channel,) = decode_whole(mp3)
    assert len(channel) / SPEECH_SAMPLE_RATE == pytest.approx(seconds, abs=0.15)
    assert float(np.abs(channel).max()) > 0.2


def test_long_recording_decodes_in_flat_memory(tmp_path: Path) -> None:
    """20 minutes at 16 kHz float32 is 77 MB; one-minute chunks must keep the peak near one chunk."""
    path = write_silent_wav(tmp_path / "long.wav", seconds=20 * 60, rate=8000)
    assert audio_duration(path) == pytest.approx(1200.0)
    tracemalloc.start()
    try:
        total = 0
        count = 0
        for chunk in iter_channel_chunks(path, chunk_seconds=60.0):
            total += chunk.sample_count
            count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    one_chunk_bytes = 60 * SPEECH_SAMPLE_RATE * 4
    assert count in (20, 21)  # cuts fall just before each nominal end, leaving a sliver
    assert total == 1200 * SPEECH_SAMPLE_RATE
    assert peak < 4 * one_chunk_bytes, peak


def test_garbage_and_missing_files_raise_audio_decode_error(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.wav"
    garbage.write_bytes(b"RIFF\x00\x00\x00\x00not really a wave file" * 10)
    with pytest.raises(AudioDecodeError):
        probe_audio(garbage)
    with pytest.raises(AudioDecodeError):
        list(iter_channel_chunks(garbage))
    with pytest.raises(AudioDecodeError):
        probe_audio(tmp_path / "missing.wav")
