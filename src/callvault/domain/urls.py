"""Callback URLs that callers give us (callbackUrl, answerUrl, BXML *AvailableUrl): their form only.

Where a URL may lead (no loopback, private or link-local destinations) is decided when it is called,
on the address it resolves to: `webhooks.destinations`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from callvault.domain.errors import ValidationFailed


def callback_url_problem(url: str) -> str | None:
    """Why `url` cannot be called back, or None when it is an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        return "it is not a valid URL"
    if parts.scheme.lower() not in ("http", "https"):
        return "it must be an absolute http or https URL"
    if not host:
        return "it has no host"
    return None


def require_callback_url(url: str, field: str) -> str:
    problem = callback_url_problem(url)
    if problem is not None:
        raise ValidationFailed(f"Invalid {field} {url[:256]}: {problem}")
    return url
