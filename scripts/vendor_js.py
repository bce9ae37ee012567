"""Fetch the vendored front-end packages again from the npm registry (`make vendor-js`).

For each package in src/callvault/api/console/static/vendor/vendor.json: `npm pack NAME@VERSION`, check the
tarball's integrity, copy the listed files into the vendor folder, and check their sha256.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[1] / "src" / "callvault" / "api" / "console" / "static" / "vendor"


def main() -> int:
    manifest = json.loads((VENDOR / "vendor.json").read_text())
    for name, entry in manifest.items():
        with tempfile.TemporaryDirectory() as tmp:
            packed = (
                subprocess.run(
                    ["npm", "pack", f"{name}@{entry['version']}", "--silent"],
                    cwd=tmp,
                    check=True,
                    capture_output=True,
                    text=True,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            tarball = Path(tmp) / packed
            algorithm, _, expected = entry["integrity"].partition("-")
            digest = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode()
            if digest != expected:
                print(f"{name}: tarball integrity {algorithm}-{digest} is not {entry['integrity']}")
                return 1
            with tarfile.open(tarball) as archive:
                for member, target in entry["files"].items():
                    extracted = archive.extractfile(member)
                    assert extracted is not None, member
                    (VENDOR / target).write_bytes(extracted.read())
        for target, sha256 in entry.get("sha256", {}).items():
            if hashlib.sha256((VENDOR / target).read_bytes()).hexdigest() != sha256:
                print(f"{name}: {target} does not have the sha256 in vendor.json")
                return 1
        print(f"{name} {entry['version']}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
