"""The bare FastAPI anchor: one `async def` route answering a constant JSON body, nothing else.

Served by uvicorn with callvault's own server options (its default event loop, httptools, no access
log); the body is the bytes of the file named by BENCH_BODY_FILE (callvault's own answer, so both send
the same size).
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, Response

BODY = Path(os.environ["BENCH_BODY_FILE"]).read_bytes()

app = FastAPI()


@app.get("/{path:path}")
async def answer(path: str) -> Response:
    return Response(BODY, media_type="application/json")
