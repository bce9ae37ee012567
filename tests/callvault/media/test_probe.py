"""probe()/probe_stream(): WAV and MP3 identified from content, durations checked against PyAV."""

from __future__ import annotations

import contextlib
import io
import struct
import tracemalloc
from pathlib import Path
from types import ModuleType

import av
import lameenc
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callvault.media.audio import Mp3Writer, mulaw_encode
from callvault.media.probe import HEAD_BYTES, AudioInfo, InvalidAudio, identify_head, probe, probe_stream

# ------------------------------------------------------------------------------------------ helpers


def fmt_chunk(
    tag: int, channels: int, rate: int, bits: int, *, extensible: bool = False, cb_size: bool = False
) -> bytes:
    block_align = channels * bits // 8
    body = struct.pack(
        "<HHIIHH", 0xFFFE if extensible else tag, channels, rate, rate * block_align, block_align, bits
    )
    if extensible:
        guid = struct.pack("<H", tag) + b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
        body += struct.pack("<HHI", 22, bits, 0x3 if channels == 2 else 0x4) + guid
    elif cb_size:
        body += struct.pack("<H", 0)
    return chunk(b"fmt ", body)


def chunk(chunk_id: bytes, body: bytes, declared: int | None = None) -> bytes:
    size = len(body) if declared is None else declared
    return struct.pack("<4sI", chunk_id, size) + body + (b"\x00" if len(body) % 2 else b"")


def riff(*chunks: bytes, riff_size: int | None = None) -> bytes:
    body = b"WAVE" + b"".join(chunks)
    return struct.pack("<4sI", b"RIFF", len(body) if riff_size is None else riff_size) + body


def pcm_wav(channels: int, rate: int, seconds: float, bits: int = 16, tag: int = 1, **fmt: bool) -> bytes:
    frames = round(rate * seconds)
    data = bytes(frames * channels * bits // 8)
    return riff(fmt_chunk(tag, channels, rate, bits, **fmt), chunk(b"data", data))


def decoded(path_or_file: Path | io.BytesIO) -> tuple[np.ndarray, int]:
    """All samples as float (n, channels) and the rate, decoded by PyAV (ffmpeg)."""
    with av.open(path_or_file, "r") as container:
        stream = container.streams.audio[0]
        channels = stream.codec_context.channels
        parts = []
        for frame in container.decode(stream):
            array = frame.to_ndarray()
            parts.append(array.T if frame.format.is_planar else array.reshape(-1, channels))
        return np.concatenate(parts).astype(np.float64), stream.codec_context.sample_rate


def pyav_duration(path: Path) -> float:
    samples, rate = decoded(path)
    return len(samples) / rate


def mp3_frame_seconds(info: AudioInfo) -> float:
    return (1152 if info.sample_rate >= 32000 else 576) / info.sample_rate


def packet_sizes(path: Path) -> set[int]:
    with av.open(path) as container:
        return {packet.size for packet in container.demux(audio=0) if packet.size}


def varied_signal(rate: int, seconds: float) -> np.ndarray:
    """Tone, then noise, then silence: content that makes a VBR encoder vary its bitrate."""
    n = round(rate * seconds)
    t = np.arange(n) / rate
    x = np.sin(2 * np.pi * 440 * t) * 8000
    third = n // 3
    x[third : 2 * third] = np.random.default_rng(7).normal(0, 6000, third)
    x[2 * third :] = 0
    return np.clip(x, -32768, 32767).astype(np.int16)


def write_mp3(path: Path, tones: ModuleType, rate: int, channels: int, seconds: float = 2.0) -> Path:
    frequencies = (440.0, 660.0)[:channels]
    with path.open("wb") as f, Mp3Writer(f, rate, channels) as writer:
        signal = tones.tone(rate, seconds, frequencies)
        for start in range(0, len(signal), 1000):
            writer.write(signal[start : start + 1000])
    return path


def lame_vbr_mp3(path: Path, rate: int = 16000, seconds: float = 3.0) -> Path:
    encoder = lameenc.Encoder()
    encoder.set_in_sample_rate(rate)
    encoder.set_out_sample_rate(rate)
    encoder.set_channels(1)
    encoder.set_vbr(4)
    encoder.set_vbr_quality(4)
    encoder.silence()
    path.write_bytes(bytes(encoder.encode(varied_signal(rate, seconds).tobytes())) + bytes(encoder.flush()))
    return path


def pyav_vbr_mp3(path: Path, rate: int = 16000, seconds: float = 3.0) -> Path:
    """VBR through ffmpeg's mp3 muxer: an ID3v2 tag, then a Xing frame with count and LAME delays."""
    signal = varied_signal(rate, seconds)
    with av.open(str(path), "w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=rate, layout="mono")
        stream.codec_context.qscale = True  # VBR: quality-driven, like ffmpeg's -q:a
        stream.codec_context.global_quality = 4 * 118  # -q:a 4 (FF_QP2LAMBDA = 118)
        frame = av.AudioFrame.from_ndarray(signal.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    return path


def id3v2(size: int = 300) -> bytes:
    body = b"TIT2" + struct.pack(">I", size - 10) + b"\x00\x00" + b"\x03" + b"t" * (size - 11)
    syncsafe = bytes([(len(body) >> shift) & 0x7F for shift in (21, 14, 7, 0)])
    return b"ID3\x04\x00\x00" + syncsafe + body


def id3v1() -> bytes:
    return b"TAG" + b"Title".ljust(30, b"\x00") + b"\x00" * 94 + b"\x0c"


def apev2() -> bytes:
    item = struct.pack("<II", 5, 0) + b"Title\x00" + b"hello"
    footer = b"APETAGEX" + struct.pack("<IIII", 2000, len(item) + 32, 1, 0) + b"\x00" * 8
    return item + footer


# ------------------------------------------------------------------------------------- committed


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("tone_8k_mono.wav", AudioInfo("wav", 1, 8000, 2.0)),
        ("tone_16k_stereo.wav", AudioInfo("wav", 2, 16000, 2.0)),
    ],
)
def test_committed_wav_fixtures(fixture_audio_dir: Path, name: str, expected: AudioInfo) -> None:
    assert probe(fixture_audio_dir / name) == expected
    assert pyav_duration(fixture_audio_dir / name) == expected.duration


def test_committed_mp3_fixture(fixture_audio_dir: Path) -> None:
    info = probe(fixture_audio_dir / "tone_8k_mono.mp3")
    assert (info.format, info.channels, info.sample_rate) == ("mp3", 1, 8000)
    assert abs(info.duration - pyav_duration(fixture_audio_dir / "tone_8k_mono.mp3")) < mp3_frame_seconds(
        info
    )


def test_fixtures_are_reproducible_and_small(
    fixture_audio_dir: Path, tones: ModuleType, tmp_path: Path
) -> None:
    made = tones.make_tones(tmp_path)
    assert sorted(p.name for p in made) == sorted(p.name for p in fixture_audio_dir.glob("tone*"))
    for path in made:
        committed = fixture_audio_dir / path.name
        if path.suffix == ".wav":
            assert path.read_bytes() == committed.read_bytes()
        else:
            assert probe(path) == probe(committed)
    assert sum(p.stat().st_size for p in fixture_audio_dir.glob("tone*")) < 200_000


# ------------------------------------------------------------------------------------------- WAV


@pytest.mark.parametrize(
    ("channels", "rate", "bits", "tag", "fmt"),
    [
        (1, 8000, 16, 1, {}),
        (2, 8000, 16, 1, {}),
        (1, 16000, 16, 1, {}),
        (2, 16000, 16, 1, {}),
        (1, 8000, 8, 7, {"cb_size": True}),  # G.711 mu-law
        (1, 8000, 8, 6, {"cb_size": True}),  # G.711 A-law
        (1, 22050, 8, 1, {}),
        (2, 48000, 24, 1, {}),
        (1, 44100, 32, 1, {}),
        (2, 16000, 32, 3, {}),  # IEEE float
        (1, 16000, 64, 3, {}),
        (2, 16000, 16, 1, {"extensible": True}),
        (1, 8000, 32, 3, {"extensible": True}),
    ],
    ids=lambda v: str(v).replace(" ", ""),
)
def test_wav_variants(
    tmp_path: Path, channels: int, rate: int, bits: int, tag: int, fmt: dict[str, bool]
) -> None:
    path = tmp_path / "variant.wav"
    path.write_bytes(pcm_wav(channels, rate, 1.5, bits, tag, **fmt))
    assert probe(path) == AudioInfo("wav", channels, rate, 1.5)
    if not (tag == 3 and bits == 64):
        assert pyav_duration(path) == pytest.approx(1.5)


def test_mulaw_wav_with_fact_chunk_decodes_to_the_tone(tmp_path: Path, tones: ModuleType) -> None:
    signal = tones.tone(8000, 1.5, (440.0,))
    data = mulaw_encode(signal)
    path = tmp_path / "g711.wav"
    path.write_bytes(
        riff(
            fmt_chunk(7, 1, 8000, 8, cb_size=True),
            chunk(b"fact", struct.pack("<I", 12000)),
            chunk(b"data", data),
        )
    )
    assert probe(path) == AudioInfo("wav", 1, 8000, 1.5)
    samples, rate = decoded(path)
    assert (len(samples), rate) == (12000, 8000)
    assert np.max(np.abs(samples[:, 0] - signal[:, 0])) < 600  # ffmpeg gives s16; G.711 quantisation


def test_wav_chunks_in_any_order_with_odd_sizes(tmp_path: Path) -> None:
    data = bytes(8000 * 2 * 3)  # 3 s of 8 kHz mono PCM16
    odd = chunk(b"LIST", b"INFOISFT\x05\x00\x00\x00abcde")  # odd size: one pad byte follows
    path = tmp_path / "order.wav"
    path.write_bytes(riff(odd, chunk(b"data", data), chunk(b"junk", b"xyz"), fmt_chunk(1, 1, 8000, 16)))
    assert probe(path) == AudioInfo("wav", 1, 8000, 3.0)


def test_wav_partial_trailing_frame_is_not_counted(tmp_path: Path) -> None:
    path = tmp_path / "partial.wav"
    path.write_bytes(riff(fmt_chunk(1, 2, 8000, 16), chunk(b"data", bytes(4 * 8000 + 3))))
    assert probe(path).duration == 1.0


def test_wav_unknown_sizes_use_the_file_size(tmp_path: Path) -> None:
    streamed = riff(
        fmt_chunk(1, 1, 8000, 16), chunk(b"data", bytes(16000), declared=0xFFFFFFFF), riff_size=0xFFFFFFFF
    )
    zeros = riff(fmt_chunk(1, 1, 8000, 16), chunk(b"data", bytes(24000), declared=0), riff_size=0)
    for name, content, seconds in (("ff.wav", streamed, 1.0), ("zero.wav", zeros, 1.5)):
        (tmp_path / name).write_bytes(content)
        assert probe(tmp_path / name) == AudioInfo("wav", 1, 8000, seconds)


def test_wav_data_declared_past_the_end_counts_what_is_there(tmp_path: Path) -> None:
    path = tmp_path / "cut.wav"
    path.write_bytes(riff(fmt_chunk(1, 1, 16000, 16), chunk(b"data", bytes(16000), declared=10**9)))
    assert probe(path).duration == 0.5


def test_wav_trailing_bytes_after_riff_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "trailer.wav"
    path.write_bytes(pcm_wav(1, 8000, 1.0) + b"garbage after the RIFF form" * 100)
    assert probe(path).duration == 1.0


def test_rf64_uses_the_ds64_data_size(tmp_path: Path) -> None:
    data = bytes(16000 * 2 * 2)  # 2 s of 16 kHz mono PCM16
    ds64 = chunk(b"ds64", struct.pack("<QQQI", 0, len(data), 32000, 0))
    body = b"WAVE" + ds64 + fmt_chunk(1, 1, 16000, 16) + chunk(b"data", data, declared=0xFFFFFFFF)
    path = tmp_path / "big.wav"
    path.write_bytes(b"RF64" + struct.pack("<I", 0xFFFFFFFF) + body + chunk(b"LIST", bytes(500)))
    assert probe(path) == AudioInfo("wav", 1, 16000, 2.0)


def test_huge_wav_probes_in_constant_memory(tmp_path: Path) -> None:
    path = tmp_path / "long.wav"
    data_size = 8000 * 2 * 3600 * 10  # ten hours of 8 kHz mono PCM16, as a sparse file
    with path.open("wb") as f:
        f.write(
            riff(fmt_chunk(1, 1, 8000, 16), struct.pack("<4sI", b"data", data_size), riff_size=36 + data_size)
        )
        f.truncate(44 + data_size)
    tracemalloc.start()
    info = probe(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert info == AudioInfo("wav", 1, 8000, 36000.0)
    assert peak < 1 << 20


# ------------------------------------------------------------------------------------------- MP3


@pytest.mark.parametrize(("rate", "channels"), [(8000, 1), (16000, 1), (16000, 2), (24000, 1), (44100, 2)])
def test_mp3_cbr_duration_within_one_frame(
    tmp_path: Path, tones: ModuleType, rate: int, channels: int
) -> None:
    path = write_mp3(tmp_path / "cbr.mp3", tones, rate, channels)
    info = probe(path)
    assert (info.format, info.channels, info.sample_rate) == ("mp3", channels, rate)
    assert len(packet_sizes(path) - {max(packet_sizes(path)), max(packet_sizes(path)) - 1}) == 0  # CBR
    assert abs(info.duration - pyav_duration(path)) < mp3_frame_seconds(info)
    assert abs(info.duration - 2.0) < 0.25


def test_mp3_vbr_without_a_tag_is_walked(tmp_path: Path) -> None:
    path = lame_vbr_mp3(tmp_path / "vbr.mp3")
    assert len(packet_sizes(path)) > 3  # really VBR
    assert b"Xing" not in path.read_bytes() and b"VBRI" not in path.read_bytes()
    info = probe(path)
    assert (info.channels, info.sample_rate) == (1, 16000)
    assert abs(info.duration - pyav_duration(path)) < mp3_frame_seconds(info)


def test_mp3_vbr_with_xing_tag_and_id3(tmp_path: Path) -> None:
    path = pyav_vbr_mp3(tmp_path / "xing.mp3")
    content = path.read_bytes()
    assert content.startswith(b"ID3") and b"Xing" in content[:1000]
    assert len(packet_sizes(path)) > 3
    info = probe(path)
    assert info.duration == pytest.approx(pyav_duration(path), abs=1e-9)  # LAME delays trimmed like ffmpeg
    assert info.duration == pytest.approx(3.0, abs=1e-9)


def test_mp3_xing_count_is_used_not_the_frames(tmp_path: Path) -> None:
    """A Xing frame count wins over walking: proof that the tag is read."""
    content = bytearray(pyav_vbr_mp3(tmp_path / "xing.mp3").read_bytes())
    at = content.index(b"Xing") + 8
    frames = struct.unpack_from(">I", content, at)[0]
    struct.pack_into(">I", content, at, frames * 2)
    (tmp_path / "doubled.mp3").write_bytes(content)
    assert probe(tmp_path / "doubled.mp3").duration == pytest.approx(3.0 + frames * 576 / 16000, abs=1e-9)


def test_mp3_tags_and_junk_around_the_frames(tmp_path: Path, tones: ModuleType) -> None:
    plain = write_mp3(tmp_path / "plain.mp3", tones, 8000, 1).read_bytes()
    expected = probe(tmp_path / "plain.mp3")
    for name, content in {
        "id3v2.mp3": id3v2() + plain,
        "two-id3v2.mp3": id3v2(100) + id3v2(500) + plain,
        "id3v1.mp3": plain + id3v1(),
        "ape-id3v1.mp3": id3v2() + plain + apev2() + id3v1(),
        "leading-zeros.mp3": id3v2() + bytes(700) + plain,
    }.items():
        (tmp_path / name).write_bytes(content)
        assert probe(tmp_path / name) == expected, name


def test_mp3_walk_resyncs_over_damage(tmp_path: Path, tones: ModuleType) -> None:
    content = write_mp3(tmp_path / "clean.mp3", tones, 8000, 1).read_bytes()
    clean = probe(tmp_path / "clean.mp3")
    middle = 288 * 10  # a frame boundary (32 kbps at 8 kHz: 288-byte frames, no padding)
    (tmp_path / "damaged.mp3").write_bytes(content[:middle] + random_bytes(500, seed=11) + content[middle:])
    assert probe(tmp_path / "damaged.mp3") == clean


def test_mp3_vbri_count_is_used(tmp_path: Path, tones: ModuleType) -> None:
    """A Fraunhofer VBRI header (32 bytes after the frame header) gives the frame count."""
    content = write_mp3(tmp_path / "plain.mp3", tones, 44100, 2).read_bytes()
    header_frame = bytearray(content[: 144 * 192_000 // 44100])  # the first frame (192 kbps, unpadded)
    assert content[2] & 0x02 == 0  # unpadded, so that length is right
    header_frame[36:54] = b"VBRI" + struct.pack(">HHHII", 1, 0, 75, 123_456, 1000)
    (tmp_path / "vbri.mp3").write_bytes(bytes(header_frame) + content)
    assert probe(tmp_path / "vbri.mp3").duration == pytest.approx(1000 * 1152 / 44100)


def test_mp3_cut_mid_frame_counts_whole_frames(tmp_path: Path, tones: ModuleType) -> None:
    content = write_mp3(tmp_path / "full.mp3", tones, 8000, 1).read_bytes()
    full = probe(tmp_path / "full.mp3")
    (tmp_path / "cut.mp3").write_bytes(content[: len(content) // 2 + 37])
    cut = probe(tmp_path / "cut.mp3")
    assert abs(cut.duration - full.duration / 2) <= 2 * mp3_frame_seconds(full)
    assert abs(cut.duration - pyav_duration(tmp_path / "cut.mp3")) <= mp3_frame_seconds(full)


def test_long_mp3_is_walked_in_constant_memory(tmp_path: Path, tones: ModuleType) -> None:
    frames = write_mp3(tmp_path / "one.mp3", tones, 8000, 1).read_bytes()
    path = tmp_path / "hour.mp3"
    with path.open("wb") as f:
        for _ in range(1660):  # ~1 hour of 72 ms frames (~14 MB)
            f.write(frames)
    single = probe(tmp_path / "one.mp3")
    tracemalloc.start()
    info = probe(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert info.duration == pytest.approx(single.duration * 1660)
    assert peak < 2 << 20


# ---------------------------------------------------------------------------------- by content


def test_content_decides_not_the_name(tmp_path: Path, tones: ModuleType) -> None:
    mp3 = write_mp3(tmp_path / "real.mp3", tones, 8000, 1).read_bytes()
    (tmp_path / "looks-like.wav").write_bytes(mp3)
    (tmp_path / "looks-like.mp3").write_bytes(pcm_wav(1, 8000, 1.0))
    (tmp_path / "no-extension").write_bytes(pcm_wav(2, 16000, 0.5))
    assert probe(tmp_path / "looks-like.wav").format == "mp3"
    assert probe(tmp_path / "looks-like.mp3").format == "wav"
    assert probe(tmp_path / "no-extension") == AudioInfo("wav", 2, 16000, 0.5)


def test_probe_stream_reads_a_file_object() -> None:
    assert probe_stream(io.BytesIO(pcm_wav(1, 8000, 0.75))) == AudioInfo("wav", 1, 8000, 0.75)


# -------------------------------------------------------------------------------------- rejection


def random_bytes(size: int, seed: int = 3) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes()


def mp2_file(path: Path) -> bytes:
    with av.open(str(path), "w", format="mp2") as container:
        stream = container.add_stream("mp2", rate=16000, layout="mono")
        frame = av.AudioFrame.from_ndarray(
            varied_signal(16000, 1.0).reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate = 16000
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    return path.read_bytes()


def lone_frame_header_then_noise() -> bytes:
    return b"\xff\xfb\x90\x64" + random_bytes(5000)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"hello, this is plain text and not audio at all\n" * 200, "not a WAV or MP3"),
        (b"<html><body>404</body></html>", "not a WAV or MP3"),
        (random_bytes(256 * 1024), "not a WAV or MP3"),
        (lone_frame_header_then_noise(), "not a WAV or MP3"),
        (b"\x89PNG\r\n\x1a\n" + random_bytes(4000), "not a WAV or MP3"),
        (id3v2(400), "not a WAV or MP3"),
        (b"ID3\x04\x00\x00\x7f\x7f\x7f\x7f" + b"\xff\xfb\x90\x64" * 300, "not a WAV or MP3"),
        (b"RIFF", "not WAVE"),
        (b"RIFF\x24\x00\x00\x00AVI LIST", "not WAVE"),
        (pcm_wav(1, 8000, 1.0)[:30], "'fmt ' chunk"),
        (pcm_wav(1, 8000, 1.0)[:36], "no 'data' chunk"),
        (riff(fmt_chunk(1, 1, 8000, 16)), "no 'data' chunk"),
        (riff(chunk(b"data", bytes(100))), "no 'fmt ' chunk"),
        (riff(fmt_chunk(2, 1, 8000, 4), chunk(b"data", bytes(100))), "format tag 0x0002"),
        (riff(fmt_chunk(0x55, 1, 8000, 0), chunk(b"data", bytes(100))), "format tag 0x0055"),
        (riff(fmt_chunk(1, 1, 8000, 12), chunk(b"data", bytes(100))), "12 bits"),
        (riff(fmt_chunk(7, 1, 8000, 16), chunk(b"data", bytes(100))), "mu-law WAV sample size"),
        (riff(fmt_chunk(1, 0, 8000, 16), chunk(b"data", bytes(100))), "channel count"),
        (riff(fmt_chunk(1, 1, 0, 16), chunk(b"data", bytes(100))), "sample rate"),
        (
            riff(chunk(b"fmt ", struct.pack("<HHIIHH", 1, 2, 8000, 32000, 2, 16)), chunk(b"data", bytes(8))),
            "block align",
        ),
    ],
    ids=[
        "empty",
        "text",
        "html",
        "random",
        "lone-header",
        "png",
        "id3-only",
        "id3-past-end",
        "riff-only",
        "avi",
        "cut-in-fmt",
        "cut-after-fmt",
        "no-data",
        "no-fmt",
        "adpcm",
        "mp3-in-wav",
        "12-bit",
        "16-bit-mulaw",
        "no-channels",
        "zero-rate",
        "bad-block-align",
    ],
)
def test_rejects(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "upload.wav"
    path.write_bytes(content)
    with pytest.raises(InvalidAudio, match=message):
        probe(path)


def test_rejects_truncated_mp3(tmp_path: Path, tones: ModuleType) -> None:
    content = write_mp3(tmp_path / "full.mp3", tones, 8000, 1).read_bytes()
    first_frame = 72 * 32_000 // 8000  # 288 bytes at 32 kbps, 8 kHz
    for size in (3, 4, 100, first_frame + 100):
        (tmp_path / "cut.mp3").write_bytes(content[:size])
        with pytest.raises(InvalidAudio):
            probe(tmp_path / "cut.mp3")


def test_rejects_mpeg_layer_2(tmp_path: Path) -> None:
    content = mp2_file(tmp_path / "audio.mp2")
    assert len(content) > 1000
    with pytest.raises(InvalidAudio, match="Layer III"):
        probe(tmp_path / "audio.mp2")


def test_missing_file_is_not_invalid_audio(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        probe(tmp_path / "nope.wav")


# ------------------------------------------------------------------------- an upload's first bytes


@pytest.fixture(scope="module")
def long_mp3(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """About 300 KiB of 8 kHz mono frames: longer than what identify_head sees."""
    frames = lame_vbr_mp3(tmp_path_factory.mktemp("mp3") / "one.mp3", rate=8000, seconds=30.0).read_bytes()
    return frames * (HEAD_BYTES // len(frames) + 2)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    junk=st.binary(max_size=140_000) | st.integers(0, 140_000).map(bytes),
    tag=st.sampled_from([b"", id3v2(), id3v2(200_000)]),
    cut=st.integers(0, 3),
    seed=st.integers(0, 2**16),
)
def test_identify_head_refuses_only_what_probe_refuses(
    long_mp3: bytes, junk: bytes, tag: bytes, cut: int, seed: int
) -> None:
    content = tag + junk + long_mp3[cut:]
    if seed % 4 == 0:
        content = random_bytes(HEAD_BYTES + 5000, seed=seed)
    try:
        found = identify_head(content[:HEAD_BYTES])
    except InvalidAudio:
        with pytest.raises(InvalidAudio):
            probe_stream(io.BytesIO(content))
        return
    with contextlib.suppress(InvalidAudio):  # if refused, the head could not tell: the whole file decides
        assert probe_stream(io.BytesIO(content)).format == found


def test_identify_head_tells_wav_and_refuses_text() -> None:
    assert identify_head(pcm_wav(1, 8000, 20.0)[:HEAD_BYTES]) == "wav"
    with pytest.raises(InvalidAudio, match="not WAVE audio"):
        identify_head(b"RIFF\x00\x00\x00\x00AVI " + bytes(HEAD_BYTES))
    with pytest.raises(InvalidAudio, match="not a WAV or MP3 file"):
        identify_head(b"call notes, not audio " * (HEAD_BYTES // 20))
