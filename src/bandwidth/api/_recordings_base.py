"""What every Recordings API operation shares: the parameter types of the operations' signatures,
the auth schemes, Accept lists and error responses, and `RecordingsApiBase`, the base of the
operation mixins, which builds a request (`_build_request`), sends it (`_send`) and reads the
response into an `ApiResponse` or an `ApiException` (`_fetch`)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StrictFloat, StrictInt, StrictStr

from bandwidth.api_client import ApiClient, RequestSerialized
from bandwidth.api_response import ApiResponse
from bandwidth.rest import RESTResponse

AccountIdParam = Annotated[StrictStr, Field(description="Your Bandwidth Account ID.")]
CallIdParam = Annotated[StrictStr, Field(description="Programmable Voice API Call ID.")]
RecordingIdParam = Annotated[StrictStr, Field(description="Programmable Voice API Recording ID.")]

PositiveSeconds = Annotated[StrictFloat, Field(gt=0)]
RequestTimeout = None | PositiveSeconds | tuple[PositiveSeconds, PositiveSeconds]
"""Total seconds, or (connect, read) seconds."""
RequestAuth = dict[StrictStr, Any] | None
ContentType = StrictStr | None
RequestHeaders = dict[StrictStr, Any] | None
HostIndex = Annotated[StrictInt, Field(ge=0, le=1)]
"""Accepted for compatibility; requests always go to `Configuration.host`."""

AUTH_SETTINGS = ["Basic", "OAuth2"]
JSON_ACCEPTS = ["application/json"]
ERROR_TYPES: dict[str, str | None] = {
    status: "VoiceApiError"
    for status in ("400", "401", "403", "404", "405", "415", "429", "500", "4XX", "5XX")
}
"""The error responses every operation declares, all a `VoiceApiError` body."""


class RecordingsApiBase:
    """The `ApiClient` the operations go through, and the request plumbing they share."""

    def __init__(self, api_client: ApiClient | None = None) -> None:
        self.api_client = api_client if api_client is not None else ApiClient.get_default()

    # -- shared plumbing ----------------------------------------------------------------------------

    def _build_request(
        self,
        method: str,
        resource_path: str,
        path_params: dict[str, Any],
        *,
        query: list[tuple[str, Any]],
        body: Any,
        accepts: list[str],
        request_auth: dict[str, Any] | None,
        content_type: str | None,
        headers: dict[str, Any] | None,
    ) -> RequestSerialized:
        header_params: dict[str, Any] = dict(headers or {})
        if "Accept" not in header_params:
            header_params["Accept"] = ", ".join(accepts)
        if body is not None:
            header_params["Content-Type"] = content_type or "application/json"
        return self.api_client.param_serialize(
            method=method,
            resource_path=resource_path,
            path_params=path_params,
            query_params=query,
            header_params=header_params,
            body=body,
            post_params=[],
            files={},
            auth_settings=AUTH_SETTINGS,
            collection_formats={},
            _host=None,
            _request_auth=request_auth,
        )

    def _send(self, request: RequestSerialized, request_timeout: Any) -> RESTResponse:
        return self.api_client.call_api(*request, _request_timeout=request_timeout)

    def _fetch(
        self, request: RequestSerialized, response_types: dict[str, str | None], request_timeout: Any
    ) -> ApiResponse[Any]:
        response = self._send(request, request_timeout)
        response.read()
        return self.api_client.response_deserialize(response_data=response, response_types_map=response_types)
