"""media/wav_join.py: WAV files and silence joined as one streamed WAV whose header holds."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from callvault.media.probe import InvalidAudio
from callvault.media.wav_join import WavFormat, WavPiece, joined_wav, read_wav_format


def wav_bytes(samples: np.ndarray, rate: int = 8000, channels: int = 1) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.astype("<i2").tobytes())
    return out.getvalue()


def in_pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def test_two_files_and_a_gap_of_silence_make_one_file() -> None:
    first = np.arange(1, 801, dtype=np.int16).reshape(-1, 2)
    second = -np.arange(1, 401, dtype=np.int16).reshape(-1, 2)
    one, two = wav_bytes(first, channels=2), wav_bytes(second, channels=2)
    fmt = read_wav_format(one)
    assert fmt == WavFormat(8000, 2)
    joined = b"".join(
        joined_wav(
            fmt,
            [
                WavPiece(len(one) - 44, lambda: iter(in_pieces(one, 7))),  # chunks that split the header
                WavPiece(300 * fmt.block),
                WavPiece(len(two) - 44, lambda: iter(in_pieces(two, 1000))),
            ],
        )
    )
    with wave.open(io.BytesIO(joined)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getnframes()) == (8000, 2, 400 + 300 + 200)
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    assert np.array_equal(frames[:400], first)
    assert not frames[400:700].any()
    assert np.array_equal(frames[700:], second)


def test_a_file_shorter_or_longer_than_stated_keeps_the_header_true() -> None:
    audio = wav_bytes(np.ones(100, dtype=np.int16))
    fmt = WavFormat(8000, 1)
    short = b"".join(joined_wav(fmt, [WavPiece(400, lambda: iter([audio]))]))  # 200 frames stated
    long = b"".join(joined_wav(fmt, [WavPiece(100, lambda: iter([audio]))]))  # 50 frames stated
    assert len(short) == 44 + 400 and short[44 + 200 :] == bytes(200)
    assert len(long) == 44 + 100
    with wave.open(io.BytesIO(short)) as wav:
        assert wav.getnframes() == 200


def test_pieces_must_be_whole_frames_and_headers_pcm16() -> None:
    with pytest.raises(ValueError, match="whole frames"):
        b"".join(joined_wav(WavFormat(8000, 2), [WavPiece(3)]))
    with pytest.raises(InvalidAudio):
        read_wav_format(b"RIFF" + bytes(40))
