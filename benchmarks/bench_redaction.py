"""PII redaction benchmark on real speech: card numbers, US SSNs, phone numbers and non-Luhn
16-digit numbers spoken with Asterisk's recorded digit prompts (asterisk-core-sounds-en-wav), four
numbers per call. Each call is transcribed with word timings and redacted as the transcription job
does (services/redaction.py); the redacted audio is transcribed again. Reports, per number kind:

- transcript recall: card numbers and SSNs whose spoken time a redaction span covers, and leaks
  (the full number still readable in the stored transcript);
- transcript precision: of the numbers redacted, how many were PII (phone numbers and non-Luhn
  numbers must stay);
- audio: card numbers and SSNs whose digits the redacted audio still yields when transcribed again
  (full number, and six digits in a row), and the phone numbers it still yields (kept audio).

Writes benchmarks/results/redaction.json with the command that made it.

    .venv/bin/python benchmarks/bench_redaction.py [--numbers 28] [--threads 0] [--model-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from quiet import Sections

from callvault.domain.redaction import RedactionPolicy
from callvault.media.redact_audio import redact_audio
from callvault.services.redaction import redact_output
from callvault.transcription import load_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.asterisk_sounds import ensure_sounds
from support.spoken_numbers import SpokenNumber, sample_numbers, spoken_digits, write_spoken_call

RESULTS = Path(__file__).resolve().parent / "results"
PER_CALL = 4


def _overlaps(number: SpokenNumber, spans: list[tuple[float, float]]) -> bool:
    return any(start < number.end and end > number.start for start, end in spans)


def _run_of(digits: str, heard: str, length: int) -> bool:
    return any(digits[i : i + length] in heard for i in range(len(digits) - length + 1))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--numbers", type=int, default=28)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--model-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=RESULTS / "redaction.json")
    args = parser.parse_args()
    why_not = ensure_sounds()
    if why_not:
        raise SystemExit(f"no Asterisk prompts: {why_not}")
    engine = load_engine(
        model_dir=args.model_dir,
        cache_dir=Path(tempfile.gettempdir()) / "callvault-bench-whisper",
        cpu_threads=args.threads,
    )
    policy = RedactionPolicy(enabled=True)
    numbers = sample_numbers(args.numbers)
    sections = Sections()  # the recall figures hold on any machine; the real-time factor only on a quiet one
    sections.start("redaction")
    rows: list[dict[str, Any]] = []
    engine_seconds = audio_seconds = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for first in range(0, len(numbers), PER_CALL):
            call = Path(tmp) / f"call-{first}.wav"
            placed = write_spoken_call(call, numbers[first : first + PER_CALL])
            started = time.monotonic()
            output = engine.transcribe(call, word_timestamps=True)
            engine_seconds += time.monotonic() - started
            audio_seconds += placed[-1].end + 2
            redacted = redact_output(output, policy)
            stored = spoken_digits(" ".join(clip.text for clip in redacted.output.clips))
            original = spoken_digits(" ".join(clip.text for clip in output.clips))
            copy = Path(tmp) / f"redacted-{first}.wav"
            with copy.open("wb") as out:
                redact_audio(call, out, redacted.spans, file_format="wav")
            again = spoken_digits(" ".join(t.text for t in engine.transcribe(copy).transcripts))
            for number in placed:
                rows.append(
                    {
                        "kind": number.kind,
                        "sensitive": number.sensitive,
                        "heard_before": number.digits in original,
                        "redacted": _overlaps(number, redacted.spans),
                        "transcript_leak": number.digits in stored,
                        "audio_full_number": number.digits in again,
                        "audio_six_in_a_row": _run_of(number.digits, again, 6),
                    }
                )
    sensitive = [row for row in rows if row["sensitive"]]
    other = [row for row in rows if not row["sensitive"]]
    redacted_rows = [row for row in rows if row["redacted"]]

    def share(part: list[Any], whole: list[Any]) -> float | None:
        return round(len(part) / len(whole), 3) if whole else None

    by_kind = {
        kind: {
            "numbers": len([r for r in rows if r["kind"] == kind]),
            "redacted": len([r for r in rows if r["kind"] == kind and r["redacted"]]),
            "heard_correctly_before_redaction": len(
                [r for r in rows if r["kind"] == kind and r["heard_before"]]
            ),
        }
        for kind in sorted({row["kind"] for row in rows})
    }
    result = {
        "command": shlex.join([os.path.relpath(sys.executable, Path.cwd()), *sys.argv]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cpus, python {platform.python_version()}",
        "speech": "Asterisk digits/*.wav joined: 'number is <digits> thank you', 4 numbers per call, 8 kHz",
        "numbers": len(rows),
        "transcript": {
            "recall": share([r for r in sensitive if r["redacted"]], sensitive),
            "precision": share([r for r in redacted_rows if r["sensitive"]], redacted_rows),
            "leaks_full_number": len([r for r in sensitive if r["transcript_leak"]]),
        },
        "audio": {
            "recall": share([r for r in sensitive if not r["audio_full_number"]], sensitive),
            "pii_full_number_recovered": len([r for r in sensitive if r["audio_full_number"]]),
            "pii_six_digits_in_a_row_recovered": len([r for r in sensitive if r["audio_six_in_a_row"]]),
            "non_pii_still_heard": share([r for r in other if r["audio_full_number"]], other),
        },
        "by_kind": by_kind,
        "engine_real_time_factor": round(engine_seconds / audio_seconds, 3) if audio_seconds else None,
        "machine_state": sections.report(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
