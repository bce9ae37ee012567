"""The console's routes, one module per page (assets, sign-in, the recordings list, a recording, live
calls, the access log); `create_app` includes this router and the headers middleware."""

from __future__ import annotations

from fastapi import APIRouter

from callvault.api.console import access_log, assets, live, recording_list, recording_page, sign_in

router = APIRouter(include_in_schema=False)
for page in (assets, sign_in, recording_list, recording_page, live, access_log):
    router.include_router(page.router)
