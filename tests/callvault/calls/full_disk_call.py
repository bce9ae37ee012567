"""Run by test_runtime.py in a subprocess: one live call whose spool file hits a real size limit.

    python full_disk_call.py DATA_DIR LIMIT_BYTES SECONDS

Builds the services on DATA_DIR, starts a call recording, then lowers RLIMIT_FSIZE to LIMIT_BYTES
(SIGXFSZ ignored, so a write past it fails with EFBIG like a full disk) and streams SECONDS of PCMU
through the real runtime, recorder, sink and WAV writer. Prints the call id.
"""

from __future__ import annotations

import resource
import signal
import sys
from pathlib import Path

import numpy as np

from callvault.calls.bxml import StartRecording
from callvault.services import live_calls as call_service
from callvault.services.container import build_services
from callvault.settings import Settings

ACCOUNT = "9900000"
BASE = "http://callvault.test"


def main(data_dir: Path, limit_bytes: int, seconds: float) -> None:
    # plaintext media: RLIMIT_FSIZE caps every file, and an encrypted copy of the kept audio is larger
    services = build_services(Settings(data_dir=data_dir, run_workers=False, encrypt_media=False))
    request = call_service.parse_create_call({"from": "+15550001", "to": "+15550002", "applicationId": "a"})
    call_id = call_service.create_call(services, ACCOUNT, request, base_url=BASE).call_id
    call_service.execute_verbs(services, ACCOUNT, call_id, [StartRecording()], base_url=BASE)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))
    session = services.live.session(ACCOUNT, call_id)
    session.start_tracks({"inbound": 8000})
    tone = (4000 * np.sin(np.arange(round(seconds * 8000)) / 5)).astype(np.int16)
    for start in range(0, len(tone), 160):
        session.feed_samples("inbound", tone[start : start + 160])
    session.stream_stopped()
    session.end()
    services.close()
    print(call_id)


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]))
