from __future__ import annotations

import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from callvault.calls.media_clock import MediaClockLimits
from callvault.calls.recorder import CallRecorder, RecordingSummary
from callvault.media.audio import WavWriter

RATE = 8000
CHUNK = 160  # 20 ms, one Bandwidth packet at 8 kHz


class ListSink:
    """An in-memory PcmSink that keeps every write, for exact comparisons."""

    def __init__(self) -> None:
        self.writes: list[np.ndarray] = []
        self.closed = False

    def write(self, frames: np.ndarray) -> None:
        assert not self.closed, "write after close"
        assert frames.dtype == np.int16 and frames.ndim == 2
        self.writes.append(frames.copy())

    def close(self) -> None:
        self.closed = True

    @property
    def frames(self) -> np.ndarray:
        if not self.writes:
            return np.zeros((0, 1), dtype=np.int16)
        return np.concatenate(self.writes)


def noise(seconds: float, seed: int, rate: int = RATE) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(-12000, 12000, size=round(seconds * rate), dtype=np.int16)


def seconds(s: float, rate: int = RATE) -> int:
    return round(s * rate)


def feed(recorder: CallRecorder, track: str, samples: np.ndarray, start: float, end: float) -> None:
    for offset in range(seconds(start), seconds(end), CHUNK):
        recorder.add_audio(track, samples[offset : min(offset + CHUNK, seconds(end))])


def feed_lockstep(recorder: CallRecorder, tracks: dict[str, np.ndarray], start: float, end: float) -> None:
    """Both tracks packet by packet, in the order of ``tracks``, as a live stream delivers them."""
    for offset in range(seconds(start), seconds(end), CHUNK):
        for name, samples in tracks.items():
            recorder.add_audio(name, samples[offset : min(offset + CHUNK, seconds(end))])


def test_ten_second_call_paused_from_three_to_five_keeps_eight_seconds_exactly() -> None:
    sink = ListSink()
    recorder = CallRecorder(sink, sample_rate=RATE, multichannel=False, tracks=("inbound",))
    audio = noise(10, seed=1)

    feed(recorder, "inbound", audio, 0, 3)
    recorder.pause()
    feed(recorder, "inbound", audio, 3, 5)
    recorder.resume()
    feed(recorder, "inbound", audio, 5, 10)
    summary = recorder.stop()

    expected = np.concatenate([audio[: seconds(3)], audio[seconds(5) :]])
    assert np.array_equal(sink.frames[:, 0], expected)
    assert summary == RecordingSummary(
        frames_recorded=seconds(8),
        sample_rate=RATE,
        channels=1,
        paused_intervals=((3.0, 5.0),),
        received_audio=True,
    )
    assert summary.duration_seconds == 8.0


def test_two_track_call_paused_from_three_to_five_keeps_both_channels_exactly() -> None:
    sink = ListSink()
    recorder = CallRecorder(sink, sample_rate=RATE, multichannel=True)
    inbound, outbound = noise(10, seed=1), noise(10, seed=2)
    both = {"inbound": inbound, "outbound": outbound}

    feed_lockstep(recorder, both, 0, 3)
    recorder.pause()
    feed_lockstep(recorder, both, 3, 5)
    recorder.resume()
    feed_lockstep(recorder, both, 5, 10)
    summary = recorder.stop()

    def kept(x: np.ndarray) -> np.ndarray:
        return np.concatenate([x[: seconds(3)], x[seconds(5) :]])

    assert sink.frames.shape == (seconds(8), 2)
    assert np.array_equal(sink.frames[:, 0], kept(inbound))
    assert np.array_equal(sink.frames[:, 1], kept(outbound))
    assert summary.channels == 2
    assert summary.duration_seconds == 8.0


def test_mono_mixes_tracks_with_int16_saturation() -> None:
    sink = ListSink()
    recorder = CallRecorder(sink, sample_rate=RATE, multichannel=False)

    recorder.add_audio("inbound", np.array([30000, -30000, 100, -5, 0], dtype=np.int16))
    recorder.add_audio("outbound", np.array([10000, -10000, 23, 5, 32767], dtype=np.int16))
    summary = recorder.stop()

    assert sink.frames.shape == (5, 1)
    assert sink.frames[:, 0].tolist() == [32767, -32768, 123, 0, 32767]
    assert summary.channels == 1


def test_audio_is_released_only_once_every_track_has_reached_it() -> None:
    sink = ListSink()
    recorder = CallRecorder(sink, sample_rate=RATE, multichannel=True)
    inbound, outbound = noise(1, seed=3), noise(1, seed=4)

    recorder.add_audio("inbound", inbound)
    assert len(sink.frames) == 0  # outbound lags within the cap: wait for it

    recorder.add_audio("outbound", outbound[: seconds(0.25)])
    assert len(sink.frames) == seconds(0.25)

    recorder.add_audio("outbound", outbound[seconds(0.25) :])
    recorder.stop()

    assert np.array_equal(sink.frames, np.stack([inbound, outbound], axis=1))


def test_outbound_track_that_starts_late_is_silent_before_and_aligned_after() -> None:
    sink = ListSink()
    recorder = CallRecorder(sink, sample_rate=RATE, multichannel=True, max_lag_seconds=0.5)
    inbound, outbound = noise(2, seed=5), noise(1, seed=6)

    feed(recorder, "inbound", inbound, 0, 1)  # nothing on the outbound track for 1 s
    # from here on a packet of each track per 20 ms; outbound's packet for [1 s, 1.02 s) arrives
    # before inbound's, so the stream has reached exactly 1 s when outbound audio first lands
    for offset in range(0, seconds(1), CHUNK):
        recorder.add_audio("outbound", outbound[offset : offset + CHUNK])
        recorder.add_audio("inbound", inbound[seconds(1) + offset : seconds(1) + offset + CHUNK])
    summary = recorder.stop()

    assert sink.frames.shape == (seconds(2), 2)
    assert np.array_equal(sink.frames[:, 0], inbound)
    assert not sink.frames[: seconds(1), 1].any()
    assert np.array_equal(sink.frames[seconds(1) :, 1], outbound)
    assert summary.duration_seconds == 2.0


def test_a_track_lagging_past_the_cap_is_silent_and_holds_the_leader_back_by_the_cap_only() -> None:
    sink = ListSink()
    recorder = CallRecorder(sink, sample_rate=RATE, multichannel=True, max_lag_seconds=2.0)
    inbound = noise(3, seed=7)

    feed(recorder, "inbound", inbound, 0, 1.5)
    assert len(sink.frames) == 0  # within the cap: still waiting for outbound

    feed(recorder, "inbound", inbound, 1.5, 3)
    assert len(sink.frames) == seconds(1)  # past the cap: outbound is silence, held back by the cap
    assert np.array_equal(sink.frames[:, 0], inbound[: seconds(1)])
    assert not sink.frames[:, 1].any()

    late = np.full(CHUNK, 777, dtype=np.int16)
    recorder.add_audio("outbound", late)  # lands at the position the stream has reached
    recorder.add_audio("inbound", inbound[:CHUNK])
    recorder.stop()

    assert np.array_equal(sink.frames[seconds(3) :, 1], late)
    assert len(sink.frames) == seconds(3) + CHUNK


def test_memory_stays_bounded_when_one_track_never_arrives() -> None:
    sink = ListSink()
    recorder = CallRecorder(sink, sample_rate=RATE, multichannel=False, max_lag_seconds=0.1)
    inbound = noise(5, seed=8)

    feed(recorder, "inbound", inbound, 0, 5)

    held_back = seconds(5) - len(sink.frames)
    assert held_back <= seconds(0.1) + CHUNK
    recorder.stop()
    assert np.array_equal(sink.frames[:, 0], inbound)


def test_pause_while_paused_and_resume_while_recording_are_no_ops() -> None:
    sink = ListSink()
    recorder = CallRecorder(sink, sample_rate=RATE, multichannel=False, tracks=("inbound",))
    audio = noise(5, seed=9)

    recorder.resume()  # not paused: nothing to do
    feed(recorder, "inbound", audio, 0, 1)
    recorder.pause()
    assert recorder.state == "paused"
    feed(recorder, "inbound", audio, 1, 2)
    recorder.pause()  # already paused since 1 s: the cut still starts at 1 s
    feed(recorder, "inbound", audio, 2, 3)
    recorder.resume()
    assert recorder.state == "recording"
    recorder.resume()
    feed(recorder, "inbound", audio, 3, 5)
    summary = recorder.stop()

    assert summary.paused_intervals == ((1.0, 3.0),)
    assert np.array_equal(sink.frames[:, 0], np.concatenate([audio[: seconds(1)], audio[seconds(3) :]]))


def test_pause_takes_effect_at_the_leading_track_and_keeps_a_lagging_tracks_earlier_audio() -> None:
    sink = ListSink()
    recorder = CallRecorder(sink, sample_rate=RATE, multichannel=True)
    inbound, outbound = noise(6, seed=10), noise(6, seed=11)

    feed_lockstep(recorder, {"inbound": inbound, "outbound": outbound}, 0, 2.5)
    feed(recorder, "inbound", inbound, 2.5, 3)  # outbound lags by 0.5 s (within the cap)
    recorder.pause()  # at 3 s, where inbound has reached
    feed(recorder, "outbound", outbound, 2.5, 3)  # before the pause position: recorded
    feed_lockstep(recorder, {"inbound": inbound, "outbound": outbound}, 3, 4)
    recorder.resume()  # at 4 s
    feed_lockstep(recorder, {"inbound": inbound, "outbound": outbound}, 4, 6)
    summary = recorder.stop()

    def kept(x: np.ndarray) -> np.ndarray:
        return np.concatenate([x[: seconds(3)], x[seconds(4) :]])

    assert summary.paused_intervals == ((3.0, 4.0),)
    assert np.array_equal(sink.frames[:, 0], kept(inbound))
    assert np.array_equal(sink.frames[:, 1], kept(outbound))


def test_pause_before_any_audio_and_several_pauses() -> None:
    sink = ListSink()
    recorder = CallRecorder(sink, sample_rate=RATE, multichannel=False, tracks=("inbound",))
    audio = noise(6, seed=12)

    recorder.pause()
    feed(recorder, "inbound", audio, 0, 1)
    recorder.resume()
    feed(recorder, "inbound", audio, 1, 2)
    recorder.pause()
    recorder.resume()  # nothing arrived in between: no cut
    feed(recorder, "inbound", audio, 2, 3)
    recorder.pause()
    feed(recorder, "inbound", audio, 3, 4.5)
    recorder.resume()
    feed(recorder, "inbound", audio, 4.5, 6)
    summary = recorder.stop()

    assert summary.paused_intervals == ((0.0, 1.0), (3.0, 4.5))
    expected = np.concatenate([audio[seconds(1) : seconds(3)], audio[seconds(4.5) :]])
    assert np.array_equal(sink.frames[:, 0], expected)
    assert summary.frames_recorded == len(expected)


def test_stop_while_paused_cuts_to_the_end() -> None:
    sink = ListSink()
    recorder = CallRecorder(sink, sample_rate=RATE, multichannel=False, tracks=("inbound",))
    audio = noise(4, seed=13)

    feed(recorder, "inbound", audio, 0, 2)
    recorder.pause()
    feed(recorder, "inbound", audio, 2, 4)
    summary = recorder.stop()

    assert summary.paused_intervals == ((2.0, 4.0),)
    assert np.array_equal(sink.frames[:, 0], audio[: seconds(2)])


def test_stop_flushes_pads_the_shorter_track_and_closes_the_sink() -> None:
    sink = ListSink()
    recorder = CallRecorder(sink, sample_rate=RATE, multichannel=True)
    inbound, outbound = noise(1, seed=14), noise(0.5, seed=15)

    recorder.add_audio("inbound", inbound)
    recorder.add_audio("outbound", outbound)
    assert len(sink.frames) == seconds(0.5)
    assert recorder.position_seconds == 1.0

    summary = recorder.stop()

    assert sink.closed
    assert recorder.state == "stopped"
    assert summary.frames_recorded == seconds(1)
    assert np.array_equal(sink.frames[:, 0], inbound)
    assert np.array_equal(sink.frames[: seconds(0.5), 1], outbound)
    assert not sink.frames[seconds(0.5) :, 1].any()


def test_after_stop_audio_pause_and_resume_are_ignored_and_stop_repeats_the_summary() -> None:
    sink = ListSink()
    recorder = CallRecorder(sink, sample_rate=RATE, multichannel=False, tracks=("inbound",))
    recorder.add_audio("inbound", noise(1, seed=16))
    summary = recorder.stop()

    recorder.add_audio("inbound", noise(1, seed=17))
    recorder.pause()
    recorder.resume()

    assert recorder.stop() is summary
    assert recorder.state == "stopped"
    assert len(sink.frames) == seconds(1)


def test_an_empty_recording_has_no_frames() -> None:
    sink = ListSink()
    summary = CallRecorder(sink, sample_rate=16000, multichannel=True).stop()

    assert summary == RecordingSummary(frames_recorded=0, sample_rate=16000, channels=2, paused_intervals=())
    assert sink.writes == []
    assert sink.closed


def test_refuses_unknown_tracks_and_bad_samples() -> None:
    recorder = CallRecorder(ListSink(), sample_rate=RATE, multichannel=False)

    with pytest.raises(ValueError, match="unknown track 'both'"):
        recorder.add_audio("both", np.zeros(4, dtype=np.int16))
    with pytest.raises(TypeError, match="int16"):
        recorder.add_audio("inbound", np.zeros(4, dtype=np.float32))
    with pytest.raises(TypeError, match="one-dimensional"):
        recorder.add_audio("inbound", np.zeros((4, 2), dtype=np.int16))
    with pytest.raises(ValueError, match="distinct"):
        CallRecorder(ListSink(), sample_rate=RATE, multichannel=False, tracks=("inbound", "inbound"))


def test_the_caller_may_reuse_its_buffer_after_add_audio() -> None:
    sink = ListSink()
    recorder = CallRecorder(sink, sample_rate=RATE, multichannel=False)
    buffer = np.full(CHUNK, 5, dtype=np.int16)

    recorder.add_audio("inbound", buffer)
    buffer[:] = 9  # the recorder must have kept its own copy
    recorder.add_audio("outbound", np.zeros(CHUNK, dtype=np.int16))
    recorder.stop()

    assert set(sink.frames[:, 0].tolist()) == {5}


def test_pause_and_resume_from_another_thread_cut_whole_runs_of_media() -> None:
    rate = 1000
    total = 20000  # sample value == media position, so the output shows exactly what was cut
    sink = ListSink()
    recorder = CallRecorder(sink, sample_rate=rate, multichannel=False, tracks=("inbound",))
    ramp = np.arange(total, dtype=np.int16)
    done = threading.Event()

    def stream() -> None:
        for offset in range(0, total, 40):
            recorder.add_audio("inbound", ramp[offset : offset + 40])
            time.sleep(0.0005)  # a live stream: packets trickle in while the controller acts
        done.set()

    feeder = threading.Thread(target=stream)
    feeder.start()
    while not done.is_set():
        recorder.pause()
        time.sleep(0.003)
        recorder.resume()
        time.sleep(0.003)
    feeder.join()
    summary = recorder.stop()

    written = sink.frames[:, 0].astype(np.int64)
    cut = sum(round((end - start) * rate) for start, end in summary.paused_intervals)
    assert summary.paused_intervals  # the controller really cut while media flowed
    assert np.all(np.diff(written) > 0)  # in order, nothing repeated
    assert len(written) + cut == total  # every sample either written or cut, never both
    for start, end in summary.paused_intervals:
        assert not np.any((written >= round(start * rate)) & (written < round(end * rate)))


def test_records_a_real_wav_file_with_media_audio_wavwriter(tmp_path: Path) -> None:
    inbound, outbound = noise(4, seed=18), noise(4, seed=19)
    path = tmp_path / "call.wav"

    with path.open("wb") as f:
        recorder = CallRecorder(WavWriter(f, RATE, 2), sample_rate=RATE, multichannel=True)
        both = {"inbound": inbound, "outbound": outbound}
        feed_lockstep(recorder, both, 0, 1)
        recorder.pause()
        feed_lockstep(recorder, both, 1, 2)
        recorder.resume()
        feed_lockstep(recorder, both, 2, 4)
        summary = recorder.stop()

    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getsampwidth()) == (2, RATE, 2)
        assert wav.getnframes() == summary.frames_recorded == seconds(3)
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    assert np.array_equal(frames[:, 0], np.concatenate([inbound[: seconds(1)], inbound[seconds(2) :]]))
    assert np.array_equal(frames[:, 1], np.concatenate([outbound[: seconds(1)], outbound[seconds(2) :]]))


# --- each track on its own media clock (``at``) -----------------------------------------------


class FakeClock:
    """The wall clock the recorder reads to bound silence, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def feed_positioned(
    recorder: CallRecorder,
    tracks: dict[str, np.ndarray],
    start: float,
    end: float,
    *,
    clock: FakeClock | None = None,
    silent: dict[str, tuple[float, float]] | None = None,
) -> None:
    """Packets of every track in turn, each with its position; a track sends nothing while it is
    silent (silence suppression). With ``clock``, the wall clock follows the media (real time)."""
    began = clock.now if clock else 0.0
    for offset in range(seconds(start), seconds(end), CHUNK):
        if clock is not None:
            clock.now = began + (offset - seconds(start)) / RATE
        for name, samples in tracks.items():
            quiet = (silent or {}).get(name)
            if quiet and seconds(quiet[0]) <= offset < seconds(quiet[1]):
                continue
            recorder.add_audio(name, samples[offset : offset + CHUNK], at=offset)


def suppressed(samples: np.ndarray, start: float, end: float) -> np.ndarray:
    out = samples.copy()
    out[seconds(start) : seconds(end)] = 0
    return out


def test_silence_suppression_on_one_leg_follows_that_legs_clock_exactly_once() -> None:
    """A 30 s call whose outbound party sends nothing from 10 to 20 s (sent as fast as it can be,
    as tests and the simulate client do): 30 s exactly, the later outbound audio at 20-30 s."""
    sink = ListSink()
    recorder = CallRecorder(sink, sample_rate=RATE, multichannel=True)
    inbound, outbound = noise(30, seed=30), noise(30, seed=31)

    feed_positioned(
        recorder, {"inbound": inbound, "outbound": outbound}, 0, 30, silent={"outbound": (10, 20)}
    )
    summary = recorder.stop()

    assert summary.duration_seconds == 30.0
    assert np.array_equal(sink.frames[:, 0], inbound)
    assert np.array_equal(sink.frames[:, 1], suppressed(outbound, 10, 20))


def test_silence_suppression_on_both_legs_in_real_time() -> None:
    clock = FakeClock()
    sink = ListSink()
    recorder = CallRecorder(sink, sample_rate=RATE, multichannel=True, clock=clock)
    inbound, outbound = noise(30, seed=32), noise(30, seed=33)

    feed_positioned(
        recorder,
        {"inbound": inbound, "outbound": outbound},
        0,
        30,
        clock=clock,
        silent={"inbound": (8, 21), "outbound": (10, 20)},
    )
    summary = recorder.stop()

    assert summary.duration_seconds == 30.0
    assert np.array_equal(sink.frames[:, 0], suppressed(inbound, 8, 21))
    assert np.array_equal(sink.frames[:, 1], suppressed(outbound, 10, 20))


@pytest.mark.parametrize("late", [0.5, 1.0, 5.0])
def test_a_track_that_starts_late_lands_at_its_position(late: float) -> None:
    sink = ListSink()
    recorder = CallRecorder(sink, sample_rate=RATE, multichannel=True)
    inbound, outbound = noise(8, seed=34), noise(8, seed=35)

    feed_positioned(
        recorder, {"inbound": inbound, "outbound": outbound}, 0, 8, silent={"outbound": (0, late)}
    )
    recorder.stop()

    assert np.array_equal(sink.frames[:, 0], inbound)
    assert np.array_equal(sink.frames[:, 1], suppressed(outbound, 0, late))


def test_silence_already_padded_counts_toward_the_gap() -> None:
    """The quiet outbound track was padded while inbound ran ahead; its audio for 6 s arrives when
    inbound has reached 7.5 s (within the lag cap): it still lands at 6 s, once."""
    sink = ListSink()
    recorder = CallRecorder(sink, sample_rate=RATE, multichannel=True, max_lag_seconds=2.0)
    inbound, outbound = noise(10, seed=36), noise(10, seed=37)

    feed_positioned(recorder, {"inbound": inbound, "outbound": outbound}, 0, 1)
    feed_positioned(recorder, {"inbound": inbound}, 1, 7.5)  # outbound quiet: padded behind the leader
    assert len(sink.frames) == seconds(5.5)  # held back by the cap, so outbound's return finds its place
    feed_positioned(recorder, {"outbound": outbound}, 6, 7.5)
    feed_positioned(recorder, {"inbound": inbound, "outbound": outbound}, 7.5, 10)
    summary = recorder.stop()

    assert summary.duration_seconds == 10.0
    assert np.array_equal(sink.frames[:, 0], inbound)
    assert np.array_equal(sink.frames[:, 1], suppressed(outbound, 1, 6))


def test_overlapping_audio_keeps_the_first_and_a_reset_clock_continues_at_the_track() -> None:
    sink = ListSink()
    recorder = CallRecorder(
        sink, sample_rate=RATE, multichannel=False, tracks=("inbound",), max_lag_seconds=1
    )
    first, second, after_reset = (np.full(CHUNK, value, dtype=np.int16) for value in (1, 2, 3))

    recorder.add_audio("inbound", first, at=0)
    recorder.add_audio("inbound", second, at=CHUNK // 2)  # overlaps half of `first`: that half is dropped
    recorder.add_audio("inbound", first, at=0)  # a duplicate: dropped whole
    recorder.add_audio("inbound", noise(2, seed=38), at=CHUNK + CHUNK // 2)
    recorder.add_audio("inbound", after_reset, at=0)  # 2 s behind: the source's clock was reset
    recorder.add_audio("inbound", after_reset, at=CHUNK)  # follows on from the reset
    recorder.stop()

    frames = sink.frames[:, 0]
    assert frames[:CHUNK].tolist() == [1] * CHUNK
    assert frames[CHUNK : CHUNK + CHUNK // 2].tolist() == [2] * (CHUNK // 2)
    end = CHUNK + CHUNK // 2 + seconds(2)
    assert len(frames) == end + 2 * CHUNK
    assert frames[end:].tolist() == [3] * (2 * CHUNK)


class CountingSink:
    """Counts frames and remembers the largest write, holding none of them."""

    def __init__(self) -> None:
        self.frames = 0
        self.largest_write = 0
        self.nonzero = 0

    def write(self, frames: np.ndarray) -> None:
        self.frames += len(frames)
        self.largest_write = max(self.largest_write, len(frames))
        self.nonzero += int(np.count_nonzero(frames))

    def close(self) -> None:
        pass


def test_a_long_gap_is_filled_in_pieces_never_allocated_whole() -> None:
    """An hour of silence (the wall clock says an hour passed) goes to the sink a second at a time."""
    clock = FakeClock()
    sink = CountingSink()
    recorder = CallRecorder(sink, sample_rate=RATE, multichannel=False, tracks=("inbound",), clock=clock)
    tone = np.full(CHUNK, 100, dtype=np.int16)

    recorder.add_audio("inbound", tone, at=0)
    clock.now += 3600
    recorder.add_audio("inbound", tone, at=seconds(3600))
    summary = recorder.stop()

    assert summary.frames_recorded == seconds(3600) + CHUNK
    assert sink.largest_write <= RATE
    assert sink.nonzero == 2 * CHUNK


def test_a_timestamp_bomb_is_clamped_to_the_wall_clock_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """0, then 36,000,000 ms: the gap may run the recording ahead of the wall clock by the allowance
    only; the track's later audio follows on from the clamp."""
    clock = FakeClock()
    sink = CountingSink()
    limits = MediaClockLimits(ahead_allowance_seconds=5.0)
    recorder = CallRecorder(
        sink,
        sample_rate=RATE,
        multichannel=False,
        tracks=("inbound",),
        clock=clock,
        limits=limits,
        name="call c",
    )
    tone = np.full(CHUNK, 100, dtype=np.int16)

    recorder.add_audio("inbound", tone, at=0)
    clock.now += 1.0
    bomb = 36_000_000 * RATE // 1000
    for packet in range(50):
        recorder.add_audio("inbound", tone, at=bomb + packet * CHUNK)
    recorder.add_audio("inbound", tone, at=2 * bomb)  # and again
    summary = recorder.stop()

    clamped_at = seconds(1.0 + 5.0)
    assert summary.frames_recorded == clamped_at + 51 * CHUNK
    assert sink.nonzero == 52 * CHUNK  # every packet of real audio kept, contiguous after each clamp
    clamps = [r for r in caplog.records if "jumped" in r.getMessage()]
    assert len(clamps) == 1 and "call c" in clamps[0].getMessage()


def test_real_audio_faster_than_real_time_is_taken() -> None:
    clock = FakeClock()  # never moves: a whole call arrives at once
    sink = ListSink()
    recorder = CallRecorder(sink, sample_rate=RATE, multichannel=False, tracks=("inbound",), clock=clock)
    audio = noise(60, seed=39)

    feed_positioned(recorder, {"inbound": audio}, 0, 60)
    recorder.stop()

    assert np.array_equal(sink.frames[:, 0], audio)


def test_nothing_is_written_past_the_maximum_session_length() -> None:
    clock = FakeClock()
    sink = ListSink()
    limits = MediaClockLimits(max_session_seconds=2.0)
    recorder = CallRecorder(
        sink, sample_rate=RATE, multichannel=True, limits=limits, clock=clock, max_lag_seconds=0.5
    )
    inbound, outbound = noise(3, seed=40), noise(3, seed=41)

    feed_positioned(recorder, {"inbound": inbound}, 0, 3)
    clock.now += 3600
    recorder.add_audio("outbound", outbound[:CHUNK], at=seconds(2.5))  # silence may not pass it either
    recorder.add_audio("outbound", outbound[:CHUNK])
    summary = recorder.stop()

    assert summary.frames_recorded == seconds(2)
    assert np.array_equal(sink.frames[:, 0], inbound[: seconds(2)])
    assert not sink.frames[:, 1].any()


def test_a_summary_truncated_to_the_frames_a_failed_output_kept() -> None:
    summary = RecordingSummary(
        frames_recorded=seconds(8), sample_rate=RATE, channels=1, paused_intervals=((1.0, 2.0), (5.0, 7.0))
    )

    assert summary.truncated(seconds(10)) is summary
    assert summary.truncated(seconds(3)) == RecordingSummary(seconds(3), RATE, 1, ((1.0, 2.0),))
    assert summary.truncated(seconds(4)).paused_intervals == ((1.0, 2.0),)
    assert summary.truncated(seconds(0.5)).paused_intervals == ()


def test_received_audio_tells_silence_from_no_audio() -> None:
    assert not CallRecorder(ListSink(), sample_rate=RATE, multichannel=False).stop().received_audio
    recorder = CallRecorder(ListSink(), sample_rate=RATE, multichannel=False)
    recorder.add_audio("inbound", np.zeros(CHUNK, dtype=np.int16))
    assert recorder.stop().received_audio
