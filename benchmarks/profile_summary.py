"""Summarise a py-spy raw profile (collapsed stacks) as the share of samples per function.

    .venv/bin/py-spy record -p PID -d 10 -r 200 --gil -f raw -o get.txt   # while wrk loads the server
    .venv/bin/python benchmarks/profile_summary.py get.txt [--top 60] > benchmarks/results/profiles/get.txt

`--gil` keeps only samples of the thread that holds the GIL, i.e. where the CPU time goes. Inclusive
shares count a function once per sample wherever it is on the stack; self shares count the innermost
frame. Paths are cut down to the package.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_PATH = re.compile(r" \(/.*?/(?:site-packages|src|lib/python3\.\d+)/")
_LINE = re.compile(r":\d+\)$")


def _frame(raw: str) -> str:
    return _LINE.sub(")", _PATH.sub(" (", raw))


def summarise(path: Path, top: int) -> str:
    inclusive: Counter[str] = Counter()
    innermost: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        samples = int(count)
        total += samples
        frames = [_frame(f) for f in stack.split(";")]
        for name in set(frames):
            inclusive[name] += samples
        innermost[frames[-1]] += samples
    lines = [f"{total} samples", "", "inclusive:"]
    lines += [f"{100 * n / total:5.1f}% {name}" for name, n in inclusive.most_common(top)]
    lines += ["", "self:"]
    lines += [f"{100 * n / total:5.1f}% {name}" for name, n in innermost.most_common(top // 2)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=60)
    args = parser.parse_args()
    print(summarise(args.profile, args.top))


if __name__ == "__main__":
    main()
