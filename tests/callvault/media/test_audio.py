"""WavWriter/Mp3Writer round trips (decoded by PyAV), G.711 and resampling."""

from __future__ import annotations

import io
import warnings
import wave
from pathlib import Path
from types import ModuleType

import av
import numpy as np
import pytest

from callvault.media.audio import (
    Mp3Writer,
    WavTooLong,
    WavWriter,
    alaw_decode,
    default_mp3_bitrate,
    mulaw_decode,
    mulaw_encode,
    resample_linear,
)
from callvault.media.probe import AudioInfo, probe, probe_stream


def dominant_frequency(samples: np.ndarray, rate: int) -> float:
    x = np.asarray(samples, dtype=np.float64)
    spectrum = np.abs(np.fft.rfft((x - x.mean()) * np.hanning(len(x))))
    return float(np.argmax(spectrum) * rate / len(x))


def decode(path: Path) -> tuple[np.ndarray, int, int]:
    """(samples (n, channels) float, sample rate, stream bit rate) decoded by PyAV."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        channels = stream.codec_context.channels
        parts = []
        for frame in container.decode(stream):
            array = frame.to_ndarray()
            parts.append(array.T if frame.format.is_planar else array.reshape(-1, channels))
        return (
            np.concatenate(parts).astype(np.float64),
            stream.codec_context.sample_rate,
            stream.bit_rate or 0,
        )


class NonSeekable(io.RawIOBase):
    """A write-only pipe-like stream."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.buffer += data
        return len(data)


# --------------------------------------------------------------------------------------- WavWriter


def test_wav_writer_round_trip(tmp_path: Path, tones: ModuleType) -> None:
    signal = tones.tone(16000, 1.0, (440.0, 660.0))
    path = tmp_path / "out.wav"
    with path.open("wb") as f:
        writer = WavWriter(f, 16000, 2)
        for start in range(0, len(signal), 333):
            writer.write(signal[start : start + 333])
        assert writer.frames_written == 16000
        writer.close()
        writer.close()  # idempotent
        assert not f.closed
    with wave.open(str(path), "rb") as reader:
        assert (reader.getnchannels(), reader.getframerate(), reader.getsampwidth()) == (2, 16000, 2)
        frames = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2").reshape(-1, 2)
    np.testing.assert_array_equal(frames, signal)
    assert probe(path) == AudioInfo("wav", 2, 16000, 1.0)
    samples, rate, _ = decode(path)
    assert rate == 16000
    assert dominant_frequency(samples[:, 0], rate) == pytest.approx(440, abs=2)
    assert dominant_frequency(samples[:, 1], rate) == pytest.approx(660, abs=2)


def test_wav_writer_accepts_1d_mono_and_empty_writes(tmp_path: Path, tones: ModuleType) -> None:
    buffer = io.BytesIO()
    with WavWriter(buffer, 8000, 1) as writer:
        writer.write(tones.tone(8000, 0.5, (440.0,))[:, 0])
        writer.write(np.zeros((0, 1), dtype=np.int16))
    assert writer.frames_written == 4000
    assert probe_stream(buffer) == AudioInfo("wav", 1, 8000, 0.5)
    assert len(buffer.getvalue()) == 44 + 8000


def test_unfinished_wav_is_still_probeable(tmp_path: Path, tones: ModuleType) -> None:
    """A recorder killed before close() leaves a file whose header says 'size unknown'."""
    path = tmp_path / "crashed.wav"
    with path.open("wb") as f:
        writer = WavWriter(f, 8000, 1)
        writer.write(tones.tone(8000, 1.5, (440.0,)))
    assert probe(path) == AudioInfo("wav", 1, 8000, 1.5)


def test_wav_writer_on_a_pipe_keeps_unknown_sizes(tones: ModuleType) -> None:
    pipe = NonSeekable()
    with WavWriter(pipe, 8000, 1) as writer:  # type: ignore[arg-type]
        writer.write(tones.tone(8000, 0.25, (440.0,)))
    assert pipe.buffer[4:8] == b"\xff\xff\xff\xff" and pipe.buffer[40:44] == b"\xff\xff\xff\xff"
    assert probe_stream(io.BytesIO(bytes(pipe.buffer))) == AudioInfo("wav", 1, 8000, 0.25)


def test_wav_writer_checks_its_input() -> None:
    writer = WavWriter(io.BytesIO(), 8000, 2)
    with pytest.raises(TypeError):
        writer.write(np.zeros((10, 2), dtype=np.float32))
    with pytest.raises(ValueError):
        writer.write(np.zeros((10, 1), dtype=np.int16))
    with pytest.raises(ValueError):
        writer.write(np.zeros(10, dtype=np.int16))
    writer.close()
    with pytest.raises(ValueError):
        writer.write(np.zeros((10, 2), dtype=np.int16))
    with pytest.raises(ValueError):
        WavWriter(io.BytesIO(), 0, 1)
    with pytest.raises(ValueError):
        WavWriter(io.BytesIO(), 8000, 0)


def test_a_wav_writer_at_its_size_limit_writes_the_frames_that_fit_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "limited.wav"
    frames = np.arange(-500, 500, dtype=np.int16).repeat(2).reshape(-1, 2)
    with path.open("wb") as f:
        writer = WavWriter(f, 8000, 2, max_data_bytes=4 * 700 + 3)  # 700 whole stereo frames fit
        writer.write(frames[:600])
        with pytest.raises(WavTooLong, match="size limit"):
            writer.write(frames[600:])
        assert writer.frames_written == 700
        writer.close()
    with wave.open(str(path)) as wav:
        assert wav.getnframes() == 700
        assert np.array_equal(np.frombuffer(wav.readframes(700), dtype="<i2").reshape(-1, 2), frames[:700])


class TakesThreeBytes(io.BytesIO):
    """An unbuffered file: each write takes at most three bytes."""

    def write(self, data: bytes) -> int:  # type: ignore[override]
        return super().write(bytes(data[:3]))


def test_a_wav_writer_on_an_unbuffered_file_writes_everything() -> None:
    f = TakesThreeBytes()
    with WavWriter(f, 8000, 1) as writer:
        writer.write(np.arange(100, dtype=np.int16))
    assert np.array_equal(np.frombuffer(f.getvalue()[44:], dtype="<i2"), np.arange(100))


# --------------------------------------------------------------------------------------- Mp3Writer


@pytest.mark.parametrize(("rate", "channels"), [(8000, 1), (16000, 1), (16000, 2), (48000, 2)])
def test_mp3_writer_round_trip_keeps_duration_and_tones(
    tmp_path: Path, tones: ModuleType, rate: int, channels: int
) -> None:
    frequencies = (440.0, 660.0)[:channels]
    signal = tones.tone(rate, 2.0, frequencies)
    path = tmp_path / "out.mp3"
    with path.open("wb") as f, Mp3Writer(f, rate, channels) as writer:
        for start in range(0, len(signal), rate // 50):  # 20 ms blocks, as a live recorder writes them
            writer.write(signal[start : start + rate // 50])
    assert writer.frames_written == len(signal)
    samples, decoded_rate, bit_rate = decode(path)
    assert decoded_rate == rate and samples.shape[1] == channels
    assert bit_rate == default_mp3_bitrate(rate, channels) * 1000
    assert abs(len(samples) / rate - 2.0) < 0.2
    middle = samples[len(samples) // 4 : 3 * len(samples) // 4]
    for channel, frequency in enumerate(frequencies):
        assert dominant_frequency(middle[:, channel], rate) == pytest.approx(frequency, abs=5)
    info = probe(path)
    assert (info.format, info.channels, info.sample_rate) == ("mp3", channels, rate)
    assert abs(info.duration - len(samples) / rate) < (1152 if rate >= 32000 else 576) / rate


def test_default_bitrates() -> None:
    assert default_mp3_bitrate(8000, 1) == 32
    assert default_mp3_bitrate(8000, 2) == 64
    assert default_mp3_bitrate(16000, 1) == 48
    assert default_mp3_bitrate(44100, 2) == 192


def test_mp3_writer_explicit_bitrate_and_checks(tmp_path: Path, tones: ModuleType) -> None:
    path = tmp_path / "hq.mp3"
    with path.open("wb") as f, Mp3Writer(f, 8000, 1, bitrate_kbps=64) as writer:
        writer.write(tones.tone(8000, 1.0, (440.0,)))
    assert decode(path)[2] == 64_000
    with pytest.raises(ValueError):
        Mp3Writer(io.BytesIO(), 8000, 3)
    with pytest.raises(ValueError, match="resample"):
        Mp3Writer(io.BytesIO(), 96000, 1)
    with pytest.raises(TypeError):
        Mp3Writer(io.BytesIO(), 8000, 1).write(np.zeros(10, dtype=np.int32))


# -------------------------------------------------------------------------------------------- G.711


def test_mulaw_known_values() -> None:
    decoded = mulaw_decode(bytes([0xFF, 0x7F, 0x00, 0x80, 0xFE, 0x7E, 0xEF]))
    assert decoded.dtype == np.int16
    assert decoded.tolist() == [0, 0, -32124, 32124, 8, -8, 132]


def test_g711_matches_the_reference_implementation() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop  # in the standard library up to 3.12, the newest Python callvault supports
    every_code = bytes(range(256))
    expected_mu = np.frombuffer(audioop.ulaw2lin(every_code, 2), dtype=np.int16)
    expected_a = np.frombuffer(audioop.alaw2lin(every_code, 2), dtype=np.int16)
    np.testing.assert_array_equal(mulaw_decode(every_code), expected_mu)
    np.testing.assert_array_equal(alaw_decode(every_code), expected_a)
    samples = np.arange(-32768, 32768, 7, dtype=np.int16)
    assert mulaw_encode(samples) == audioop.lin2ulaw(samples.tobytes(), 2)


def test_mulaw_round_trip_error_is_within_quantisation() -> None:
    samples = np.arange(-32768, 32768, dtype=np.int32).astype(np.int16)
    back = mulaw_decode(mulaw_encode(samples)).astype(np.int32)
    clipped = np.clip(samples.astype(np.int32), -32124, 32124)
    error = np.abs(back - clipped)
    assert np.all(error <= np.abs(clipped) // 32 + 8)  # half a step of the segment, about 3 %


# ------------------------------------------------------------------------------------------ resample


@pytest.mark.parametrize(("src", "dst"), [(8000, 16000), (16000, 8000)])
def test_resample_keeps_tones_and_length(tones: ModuleType, src: int, dst: int) -> None:
    signal = tones.tone(src, 1.0, (440.0, 1000.0))
    out = resample_linear(signal, src, dst)
    assert out.dtype == np.int16 and out.shape == (dst, 2)
    assert dominant_frequency(out[:, 0], dst) == pytest.approx(440, abs=2)
    assert dominant_frequency(out[:, 1], dst) == pytest.approx(1000, abs=2)
    rms_in = np.sqrt(np.mean(signal.astype(np.float64) ** 2))
    rms_out = np.sqrt(np.mean(out.astype(np.float64) ** 2))
    assert rms_out == pytest.approx(rms_in, rel=0.05)


def test_upsampling_interpolates_between_samples() -> None:
    out = resample_linear(np.array([0, 100, 200, 300], dtype=np.int16), 8000, 16000)
    assert out.tolist() == [0, 50, 100, 150, 200, 250, 300, 300]


def test_downsampling_filters_out_what_would_alias(tones: ModuleType) -> None:
    above_nyquist = tones.tone(16000, 1.0, (6000.0,))[:, 0]  # would fold to 2 kHz at 8 kHz
    out = resample_linear(above_nyquist, 16000, 8000).astype(np.float64)
    assert np.sqrt(np.mean(out[100:-100] ** 2)) < 0.1 * np.sqrt(
        np.mean(above_nyquist.astype(np.float64) ** 2)
    )


def test_resample_float_and_edge_cases() -> None:
    x = np.linspace(-1, 1, 80, dtype=np.float32)
    out = resample_linear(x, 8000, 16000)
    assert out.dtype == np.float32 and out.shape == (160,)
    assert resample_linear(x, 8000, 8000) is not x
    np.testing.assert_array_equal(resample_linear(x, 8000, 8000), x)
    assert resample_linear(np.zeros((0, 2), dtype=np.int16), 8000, 16000).shape == (0, 2)
    assert resample_linear(np.array([32767, -32768, 32767], dtype=np.int16), 8000, 16000).dtype == np.int16
    with pytest.raises(ValueError):
        resample_linear(x, 0, 8000)
    with pytest.raises(ValueError):
        resample_linear(np.zeros((2, 2, 2)), 8000, 16000)
