"""Configuration: where the server is and how to authenticate (official SDK signature plus rate-limit
retry options)."""

from __future__ import annotations

import base64
import copy
import http.client as httplib
import logging
import multiprocessing
import sys
import time
from typing import Any, ClassVar, Self, TypedDict

import urllib3

from bandwidth._version import __version__

DEFAULT_HOST = "http://localhost"
OAUTH2_TOKEN_URL = "https://api.bandwidth.com/api/v1/oauth2/token"
MAX_RETRY_AFTER_SECONDS = 60.0
"""The longest a single rate-limit wait may last, whatever Retry-After says."""

ServerVariables = dict[str, str]


class HostSetting(TypedDict, total=False):
    url: str
    description: str
    variables: dict[str, dict[str, Any]]


class Configuration:
    """Settings of the API client.

    :param host: base URL, default ``http://localhost``; used as given (``/api/v2`` is not added).
    :param username: / :param password: HTTP Basic credentials.
    :param retries: urllib3 retries for connection errors.
    :param retry_on_rate_limit: retry a 429 response after its ``Retry-After`` seconds (default off).
    :param max_rate_limit_retries: how many times to retry one request on 429.

    The other parameters mirror the official SDK (API keys and OAuth2 client credentials, TLS files,
    server index and variables) and keep its meaning.
    """

    _default: ClassVar[Configuration | None] = None

    def __init__(
        self,
        host: str | None = None,
        api_key: dict[str, str] | None = None,
        api_key_prefix: dict[str, str] | None = None,
        username: str | None = None,
        password: str | None = None,
        access_token: str | None = None,
        access_token_url: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        server_index: int | None = None,
        server_variables: ServerVariables | None = None,
        server_operation_index: dict[int, int] | None = None,
        server_operation_variables: dict[int, ServerVariables] | None = None,
        ignore_operation_servers: bool = False,
        ssl_ca_cert: str | None = None,
        retries: int | None = None,
        ca_cert_data: str | bytes | None = None,
        cert_file: str | None = None,
        key_file: str | None = None,
        *,
        debug: bool | None = None,
        retry_on_rate_limit: bool = False,
        max_rate_limit_retries: int = 3,
    ) -> None:
        self._base_path = DEFAULT_HOST if host is None else host
        self.server_index = server_index
        self.server_variables = server_variables or {}
        self.server_operation_index = server_operation_index or {}
        self.server_operation_variables = server_operation_variables or {}
        self.ignore_operation_servers = ignore_operation_servers
        self.temp_folder_path: str | None = None

        self.api_key: dict[str, str] = api_key or {}
        self.api_key_prefix: dict[str, str] = api_key_prefix or {}
        self.refresh_api_key_hook: Any = None
        self.username = username
        self.password = password
        self.access_token = access_token
        self.access_token_url = OAUTH2_TOKEN_URL if access_token_url is None else access_token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.temp_access_token: str | None = None
        self.temp_access_token_expiration = 0

        self.logger = {
            "package_logger": logging.getLogger("bandwidth"),
            "urllib3_logger": logging.getLogger("urllib3"),
        }
        self.logger_format = "%(asctime)s %(levelname)s %(message)s"
        self.logger_stream_handler: logging.Handler | None = None
        self.logger_file_handler: logging.FileHandler | None = None
        self.logger_file = None
        self.debug = bool(debug)

        self.verify_ssl = True
        self.ssl_ca_cert = ssl_ca_cert
        self.ca_cert_data = ca_cert_data
        self.cert_file = cert_file
        self.key_file = key_file
        self.assert_hostname: bool | str | None = None
        self.tls_server_name: str | None = None
        self.connection_pool_maxsize = multiprocessing.cpu_count() * 5
        self.proxy: str | None = None
        self.proxy_headers: dict[str, str] | None = None
        self.safe_chars_for_path_param = ""
        self.retries = retries
        self.client_side_validation = True
        self.socket_options: list[tuple[int, int, int]] | None = None
        self.datetime_format = "%Y-%m-%dT%H:%M:%S.%f%z"
        self.date_format = "%Y-%m-%d"

        self.retry_on_rate_limit = retry_on_rate_limit
        self.max_rate_limit_retries = max_rate_limit_retries
        self.max_retry_after_seconds = MAX_RETRY_AFTER_SECONDS

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        cls = self.__class__
        result = cls.__new__(cls)
        memo[id(self)] = result
        for key, value in self.__dict__.items():
            if key not in ("logger", "logger_file_handler"):
                setattr(result, key, copy.deepcopy(value, memo))
        result.logger = copy.copy(self.logger)
        result.logger_file = self.logger_file
        result.debug = self.debug
        return result

    # -- default instance ---------------------------------------------------------------------------

    @classmethod
    def set_default(cls, default: Configuration | None) -> None:
        cls._default = default

    @classmethod
    def get_default_copy(cls) -> Configuration:
        """Deprecated: use `get_default`."""
        return cls.get_default()

    @classmethod
    def get_default(cls) -> Configuration:
        if cls._default is None:
            cls._default = cls()
        return cls._default

    # -- logging ------------------------------------------------------------------------------------

    @property
    def logger_file(self) -> str | None:
        return self.__logger_file

    @logger_file.setter
    def logger_file(self, value: str | None) -> None:
        self.__logger_file = value
        if value:
            self.logger_file_handler = logging.FileHandler(value)
            self.logger_file_handler.setFormatter(self.logger_formatter)
            for logger in self.logger.values():
                logger.addHandler(self.logger_file_handler)

    @property
    def debug(self) -> bool:
        return self.__debug

    @debug.setter
    def debug(self, value: bool) -> None:
        self.__debug = value
        level = logging.DEBUG if value else logging.WARNING
        for logger in self.logger.values():
            logger.setLevel(level)
        httplib.HTTPConnection.debuglevel = 1 if value else 0

    @property
    def logger_format(self) -> str:
        return self.__logger_format

    @logger_format.setter
    def logger_format(self, value: str) -> None:
        self.__logger_format = value
        self.logger_formatter = logging.Formatter(value)

    # -- authentication -----------------------------------------------------------------------------

    def get_api_key_with_prefix(self, identifier: str, alias: str | None = None) -> str | None:
        if self.refresh_api_key_hook is not None:
            self.refresh_api_key_hook(self)
        key = self.api_key.get(identifier, self.api_key.get(alias) if alias is not None else None)
        if not key:
            return None
        prefix = self.api_key_prefix.get(identifier)
        return f"{prefix} {key}" if prefix else key

    def get_basic_auth_token(self) -> str | None:
        """The value of the Authorization header for HTTP Basic."""
        credentials = f"{self.username or ''}:{self.password or ''}".encode()
        return "Basic " + base64.b64encode(credentials).decode("ascii")

    def get_access_token(self) -> str:
        """An OAuth2 access token from the client-credentials grant, cached until a minute before expiry."""
        now = int(time.time())
        if self.temp_access_token and self.temp_access_token_expiration > now + 60:
            return self.temp_access_token
        credentials = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode("ascii")
        response = urllib3.request(
            "POST",
            self.access_token_url,
            headers={
                "Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            body="grant_type=client_credentials",
        )
        body = response.json()
        self.temp_access_token = str(body["access_token"])
        self.temp_access_token_expiration = now + int(body["expires_in"])
        return self.temp_access_token

    def auth_settings(self) -> dict[str, dict[str, Any]]:
        """The auth schemes that are configured, keyed by scheme name ("Basic", "OAuth2")."""
        auth: dict[str, dict[str, Any]] = {}
        if self.username is not None and self.password is not None:
            auth["Basic"] = _header_auth("basic", self.get_basic_auth_token())
        if self.access_token is not None:
            auth["OAuth2"] = _header_auth("oauth2", "Bearer " + self.access_token)
        if self.client_id is not None and self.client_secret is not None:
            auth["OAuth2"] = _header_auth("oauth2", "Bearer " + self.get_access_token())
        return auth

    # -- host ---------------------------------------------------------------------------------------

    def to_debug_report(self) -> str:
        return (
            "Python SDK Debug Report:\n"
            f"OS: {sys.platform}\n"
            f"Python Version: {sys.version}\n"
            "Version of the API: 1.0.0\n"
            f"SDK Package Version: {__version__}"
        )

    def get_host_settings(self) -> list[HostSetting]:
        return [{"url": DEFAULT_HOST, "description": "callvault (serves / and /api/v2)"}]

    def get_host_from_settings(
        self,
        index: int | None,
        variables: ServerVariables | None = None,
        servers: list[HostSetting] | None = None,
    ) -> str:
        """The URL of server ``index`` with its variables filled in; the configured host when None."""
        if index is None:
            return self._base_path
        variables = variables or {}
        servers = self.get_host_settings() if servers is None else servers
        try:
            server = servers[index]
        except IndexError:
            raise ValueError(
                f"Invalid index {index} when selecting the host settings. Must be less than {len(servers)}"
            ) from None
        url = server["url"]
        for name, variable in server.get("variables", {}).items():
            value = variables.get(name, variable["default_value"])
            allowed = variable.get("enum_values")
            if allowed and value not in allowed:
                raise ValueError(
                    f"The variable `{name}` in the host URL has invalid value {value}. Must be {allowed}."
                )
            url = url.replace("{" + name + "}", value)
        return url

    @property
    def host(self) -> str:
        """The base URL every request goes to."""
        return self.get_host_from_settings(self.server_index, variables=self.server_variables)

    @host.setter
    def host(self, value: str) -> None:
        self._base_path = value
        self.server_index = None


def _header_auth(auth_type: str, value: str | None) -> dict[str, Any]:
    return {"type": auth_type, "in": "header", "key": "Authorization", "value": value}
