"""The web console (/ui): server-rendered pages for people, beside the API for programs. Its routes
(`routes.router`, one module per page), its session and CSRF (`session.py`), its security headers
(`headers.py`), view values (`views.py`), templates and static files all live in this package."""
