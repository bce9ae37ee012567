"""The HTTP layer: one urllib3 PoolManager per client; responses are not preloaded."""

from __future__ import annotations

import io
import json
import re
import ssl
from typing import Any

import urllib3

from bandwidth.configuration import Configuration
from bandwidth.exceptions import ApiException, ApiValueError

__all__ = ["ApiException", "RESTClientObject", "RESTResponse", "RESTResponseType", "is_socks_proxy_url"]

SUPPORTED_SOCKS_PROXIES = {"socks5", "socks5h", "socks4", "socks4a"}
RESTResponseType = urllib3.BaseHTTPResponse
"""What `*_without_preload_content` returns (a urllib3 HTTPResponse at run time)."""

RequestTimeout = None | int | float | tuple[int | float, int | float]
_METHODS_WITH_BODY = ("POST", "PUT", "PATCH", "OPTIONS", "DELETE")
_ALL_METHODS = ("GET", "HEAD", *_METHODS_WITH_BODY)


def is_socks_proxy_url(url: str | None) -> bool:
    if not url or "://" not in url:
        return False
    return url.split("://", 1)[0].lower() in SUPPORTED_SOCKS_PROXIES


class RESTResponse(io.IOBase):
    """A urllib3 response whose body is read on demand (`read()`), or streamed from ``response``."""

    def __init__(self, resp: urllib3.BaseHTTPResponse) -> None:
        self.response = resp
        self.status: int = resp.status
        self.reason: str | None = resp.reason
        self.data: bytes | None = None

    def read(self, size: int | None = -1) -> bytes:  # type: ignore[override]
        if self.data is None:
            self.data = self.response.data
        return self.data

    def getheaders(self) -> urllib3.HTTPHeaderDict:
        """The response headers (case-insensitive mapping)."""
        return self.response.headers

    def getheader(self, name: str, default: str | None = None) -> str | None:
        return self.response.headers.get(name, default)

    def release(self) -> None:
        """Discard what is left of the body and give the connection back to the pool."""
        self.response.drain_conn()
        self.response.release_conn()


class RESTClientObject:
    """Sends requests through a urllib3 PoolManager built from a `Configuration`."""

    def __init__(self, configuration: Configuration) -> None:
        pool_args = _pool_arguments(configuration)
        self.pool_manager: urllib3.PoolManager
        if configuration.proxy and is_socks_proxy_url(configuration.proxy):
            from urllib3.contrib.socks import SOCKSProxyManager

            pool_args["proxy_url"] = configuration.proxy
            pool_args["headers"] = configuration.proxy_headers
            self.pool_manager = SOCKSProxyManager(**pool_args)
        elif configuration.proxy:
            pool_args["proxy_url"] = configuration.proxy
            pool_args["proxy_headers"] = configuration.proxy_headers
            self.pool_manager = urllib3.ProxyManager(**pool_args)
        else:
            self.pool_manager = urllib3.PoolManager(**pool_args)

    def request(
        self,
        method: str,
        url: str,
        headers: dict[str, str] | None = None,
        body: Any = None,
        post_params: Any = None,
        _request_timeout: RequestTimeout = None,
    ) -> RESTResponse:
        """Send one request; the body is JSON-encoded unless the Content-Type says otherwise."""
        method = method.upper()
        if method not in _ALL_METHODS:
            raise ApiValueError(f"Unsupported HTTP method {method}")
        if post_params and body:
            raise ApiValueError("body parameter cannot be used with post_params parameter.")
        headers = dict(headers or {})
        timeout = _timeout(_request_timeout)
        try:
            if method in _METHODS_WITH_BODY:
                response = self._send_with_body(method, url, headers, body, post_params or {}, timeout)
            else:
                response = self.pool_manager.request(
                    method, url, fields={}, timeout=timeout, headers=headers, preload_content=False
                )
        except urllib3.exceptions.SSLError as error:
            raise ApiException(status=0, reason=f"{type(error).__name__}\n{error}") from error
        return RESTResponse(response)

    def _send_with_body(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: Any,
        post_params: Any,
        timeout: urllib3.Timeout | None,
    ) -> urllib3.BaseHTTPResponse:
        content_type = headers.get("Content-Type")
        common: dict[str, Any] = {"timeout": timeout, "headers": headers, "preload_content": False}
        if not content_type or re.search("json", content_type, re.IGNORECASE):
            encoded = None if body is None else json.dumps(body)
            return self.pool_manager.request(method, url, body=encoded, **common)
        if content_type == "application/x-www-form-urlencoded":
            return self.pool_manager.request(
                method, url, fields=post_params, encode_multipart=False, **common
            )
        if content_type == "multipart/form-data":
            del headers["Content-Type"]  # urllib3 writes it with the boundary
            fields = [(k, json.dumps(v)) if isinstance(v, dict) else (k, v) for k, v in post_params]
            return self.pool_manager.request(method, url, fields=fields, encode_multipart=True, **common)
        if isinstance(body, str | bytes):
            return self.pool_manager.request(method, url, body=body, **common)
        if content_type.startswith("text/") and isinstance(body, bool):
            return self.pool_manager.request(method, url, body="true" if body else "false", **common)
        raise ApiException(
            status=0,
            reason="Cannot prepare a request message for provided arguments. "
            "Please check that your arguments match declared content type.",
        )


def _pool_arguments(configuration: Configuration) -> dict[str, Any]:
    args: dict[str, Any] = {
        "cert_reqs": ssl.CERT_REQUIRED if configuration.verify_ssl else ssl.CERT_NONE,
        "ca_certs": configuration.ssl_ca_cert,
        "cert_file": configuration.cert_file,
        "key_file": configuration.key_file,
        "ca_cert_data": configuration.ca_cert_data,
    }
    optional = {
        "assert_hostname": configuration.assert_hostname,
        "retries": _connection_retries(configuration.retries),
        "server_hostname": configuration.tls_server_name or None,
        "socket_options": configuration.socket_options,
        "maxsize": configuration.connection_pool_maxsize,
    }
    args.update({key: value for key, value in optional.items() if value is not None})
    return args


def _connection_retries(retries: int | urllib3.Retry | None) -> urllib3.Retry:
    """urllib3 retries for connection errors only: urllib3 would otherwise silently wait out 429/503
    responses with a Retry-After header (uncapped); rate limits are ApiClient's opt-in business."""
    if isinstance(retries, urllib3.Retry):
        return retries
    return urllib3.Retry(total=3 if retries is None else retries, respect_retry_after_header=False)


def _timeout(request_timeout: RequestTimeout) -> urllib3.Timeout | None:
    if not request_timeout:
        return None
    if isinstance(request_timeout, int | float):
        return urllib3.Timeout(total=request_timeout)
    connect, read = request_timeout
    return urllib3.Timeout(connect=connect, read=read)
