"""The server's /openapi.json tells the truth: one path set under /api/v2, the answers each operation
really gives, valid OpenAPI, compatible with Bandwidth's contract for the ten Recordings operations;
and /docs works with no network (Swagger UI assets served from the fastapi-offline package)."""

from __future__ import annotations

import re
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from openapi_spec_validator import validate

from support.debian import ensure_packages
from support.needs import unavailable
from support.server import LiveServer

OWN_ROOT_PATHS = {"/api/v1/oauth2/token", "/healthz", "/metrics"}


def _reference_contract() -> dict[str, Any]:
    import yaml

    for folder in Path(__file__).resolve().parents:
        for candidate in (folder / "shared/reference", folder / "reference"):
            spec = candidate / "recordings-openapi.yml"
            if spec.is_file():
                contract: dict[str, Any] = yaml.safe_load(spec.read_text())
                return contract
    unavailable("reference/recordings-openapi.yml not found above this test")


@pytest.fixture(scope="module")
def document(live_server: LiveServer) -> dict[str, Any]:
    response = httpx.get(live_server.url + "/openapi.json", timeout=30)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    methods = {"get", "put", "post", "delete", "patch"}
    return {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in methods
    }


def test_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)


def test_one_path_set_under_api_v2(document: dict[str, Any]) -> None:
    paths = set(document["paths"])
    assert {p for p in paths if not p.startswith("/api/v2/")} == OWN_ROOT_PATHS
    assert "/api/v2/accounts/{accountId}/recordings" in paths
    assert "/api/v2/ingest/accounts/{accountId}/calls/{callId}/recordings" in paths
    assert "without that prefix" in document["info"]["description"]


def test_no_phantom_422_and_real_error_answers(document: dict[str, Any]) -> None:
    operations = _operations(document)
    assert all("422" not in op["responses"] for op in operations.values())
    assert "HTTPValidationError" not in document["components"]["schemas"]
    listed = operations[("get", "/api/v2/accounts/{accountId}/recordings")]
    assert {"400", "401", "403", "429"} <= set(listed["responses"])
    transcribe = operations[
        ("post", "/api/v2/accounts/{accountId}/calls/{callId}/recordings/{recordingId}/transcription")
    ]
    assert {"400", "401", "403", "404", "415", "429"} <= set(transcribe["responses"])
    assert transcribe["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/TranscribeRecording"
    )
    assert [p["name"] for p in listed["parameters"] if p["in"] == "query"] == [
        "to",
        "from",
        "minStartTime",
        "maxStartTime",
        "q",
        "pageSize",
        "pageToken",
        "sort",
    ]


def test_security_schemes_and_own_routes(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["Basic"] == {**schemes["Basic"], "type": "http", "scheme": "basic"}
    assert schemes["OAuth2"]["flows"]["clientCredentials"]["tokenUrl"] == "/api/v1/oauth2/token"
    operations = _operations(document)
    token = operations[("post", "/api/v1/oauth2/token")]
    assert "application/x-www-form-urlencoded" in token["requestBody"]["content"]
    assert {"200", "400", "401", "429"} == set(token["responses"])
    metrics = operations[("get", "/metrics")]
    assert list(metrics["responses"]["200"]["content"]) == ["text/plain; version=0.0.4"]
    assert {"MetricsToken": []} in metrics["security"]
    ingest = operations[("post", "/api/v2/ingest/accounts/{accountId}/calls/{callId}/recordings")]
    assert "multipart/form-data" in ingest["requestBody"]["content"]
    assert {"201", "400", "409", "413", "415"} <= set(ingest["responses"])
    assert ("post", "/api/v2/accounts/{accountId}/calls") in operations


# --- compatibility with Bandwidth's contract ----------------------------------------------------------


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    """Follow $ref and single allOf; `anyOf: [X, null]` (3.1's nullable) becomes X."""
    while True:
        if "$ref" in schema:
            schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        elif "allOf" in schema and len(schema["allOf"]) == 1:
            schema = schema["allOf"][0]
        elif "anyOf" in schema and len([o for o in schema["anyOf"] if o != {"type": "null"}]) == 1:
            schema = next(o for o in schema["anyOf"] if o != {"type": "null"})
        else:
            return schema


def _differences(
    theirs: dict[str, Any],
    ours: dict[str, Any],
    contract: dict[str, Any],
    document: dict[str, Any],
    where: str,
) -> list[str]:
    theirs, ours = _resolve(theirs, contract), _resolve(ours, document)
    found: list[str] = []
    if "enum" in theirs:
        if set(theirs["enum"]) - {None} != set(ours.get("enum", [])):
            found.append(f"{where}: enum {theirs['enum']} vs {ours.get('enum')}")
        return found
    if theirs.get("type") != ours.get("type"):
        return [f"{where}: type {theirs.get('type')} vs {ours.get('type')}"]
    if theirs.get("format") == "date-time" and ours.get("format") != "date-time":
        found.append(f"{where}: format date-time vs {ours.get('format')}")
    if theirs.get("type") == "array":
        found += _differences(theirs["items"], ours["items"], contract, document, where + "[]")
    for name, prop in theirs.get("properties", {}).items():
        if name not in ours.get("properties", {}):
            found.append(f"{where}.{name}: missing")
            continue
        found += _differences(prop, ours["properties"][name], contract, document, f"{where}.{name}")
    return found


def _parameters(
    operation: dict[str, Any], path_item: dict[str, Any], document: dict[str, Any]
) -> set[tuple[str, str, bool]]:
    found = set()
    for parameter in [*path_item.get("parameters", []), *operation.get("parameters", [])]:
        if "$ref" in parameter:
            parameter = document["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[-1]]
        found.add((parameter["name"], parameter["in"], bool(parameter.get("required", False))))
    return found


def _content(holder: dict[str, Any], document: dict[str, Any], kind: str) -> dict[str, Any]:
    if "$ref" in holder:
        holder = document["components"][kind][holder["$ref"].rsplit("/", 1)[-1]]
    content: dict[str, Any] = holder.get("content", {})
    return content


def test_the_ten_recordings_operations_match_bandwidths_contract(document: dict[str, Any]) -> None:
    contract = _reference_contract()
    ours = _operations(document)
    problems: list[str] = []
    count = 0
    for path, item in contract["paths"].items():
        for method, theirs in item.items():
            if method not in {"get", "put", "post", "delete"}:
                continue
            count += 1
            key = (method, "/api/v2" + path)
            name = theirs["operationId"]
            if key not in ours:
                problems.append(f"{name}: {method.upper()} {key[1]} is not documented")
                continue
            mine = ours[key]
            if mine["operationId"] != name:
                problems.append(f"{name}: operationId {mine['operationId']}")
            their_params = _parameters(theirs, item, contract)
            my_params = _parameters(mine, document["paths"][key[1]], document)
            if their_params - my_params or any(required for (_n, _i, required) in my_params - their_params):
                problems.append(f"{name}: parameters {sorted(their_params)} vs {sorted(my_params)}")
            if "requestBody" in theirs:
                their_body = _content(theirs["requestBody"], contract, "requestBodies")
                my_body = mine.get("requestBody", {}).get("content", {})
                if set(their_body) != set(my_body):
                    problems.append(f"{name}: request body {set(their_body)} vs {set(my_body)}")
                for media_type, entry in their_body.items():
                    problems += _differences(
                        entry["schema"], my_body[media_type]["schema"], contract, document, f"{name} body"
                    )
            success = next(status for status in theirs["responses"] if status.startswith("2"))
            if success not in mine["responses"]:
                problems.append(f"{name}: success status {success} not documented")
                continue
            their_ok = _content(theirs["responses"][success], contract, "responses")
            my_ok = mine["responses"][success].get("content", {})
            for media_type, entry in their_ok.items():
                if media_type not in my_ok:
                    problems.append(f"{name}: {success} {media_type} not documented")
                elif "schema" in entry and "application/json" in media_type:
                    problems += _differences(
                        entry["schema"], my_ok[media_type]["schema"], contract, document, f"{name} {success}"
                    )
            error_schema = _content(theirs["responses"]["404"], contract, "responses")["application/json"][
                "schema"
            ]
            mine_404 = mine["responses"].get("404") or mine["responses"]["401"]
            problems += _differences(
                error_schema,
                mine_404["content"]["application/json"]["schema"],
                contract,
                document,
                f"{name} error",
            )
    assert count == 10
    assert not problems, "\n".join(problems)


# --- the document describes the real answers -------------------------------------------------------


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({**schema, "components": document["components"]})


def test_real_answers_validate_against_the_document(
    document: dict[str, Any], live_server: LiveServer, wav_file: Path
) -> None:
    call_id = f"c-{uuid.uuid4()}"
    ingested = live_server.ingest(call_id, wav_file, {"from": "+19195551234", "to": "+19195554321"})
    base = f"/api/v2/accounts/{live_server.account_id}"
    recording = f"{base}/calls/{call_id}/recordings/{ingested['recordingId']}"
    operations = _operations(document)

    def check(method: str, template: str, response: httpx.Response) -> None:
        operation = operations[(method, template)]
        documented = operation["responses"].get(str(response.status_code))
        assert documented is not None, f"{method} {template} answered undocumented {response.status_code}"
        if "application/json" in documented.get("content", {}):
            schema = documented["content"]["application/json"]["schema"]
            _validator(document, schema).validate(response.json())

    template = "/api/v2/accounts/{accountId}/calls/{callId}/recordings/{recordingId}"
    with live_server.client() as client:
        check("get", "/api/v2/accounts/{accountId}/recordings", client.get(f"{base}/recordings"))
        check(
            "get",
            "/api/v2/accounts/{accountId}/calls/{callId}/recordings",
            client.get(f"{base}/calls/{call_id}/recordings"),
        )
        check("get", template, client.get(recording))
        check("get", template, client.get(recording + "x"))
        check("get", template, client.get(recording.replace(live_server.account_id, "1234567")))
        check(
            "get",
            "/api/v2/accounts/{accountId}/recordings",
            client.get(f"{base}/recordings?minStartTime=yesterday"),
        )
        check("post", template + "/transcription", client.post(recording + "/transcription", content=b"x"))
        check("get", template + "/transcription", client.get(recording + "/transcription"))
        check("get", template + "/media", client.get(recording + "/media", headers={"Range": "bytes=0-9"}))
        check(
            "get",
            template + "/media",
            client.get(recording + "/media", headers={"Range": "bytes=999999999-"}),
        )
    check("get", template, httpx.get(live_server.url + recording, timeout=30))


# --- /docs without a network ---------------------------------------------------------------------------


def test_docs_page_loads_swagger_ui_from_the_server_itself(live_server: LiveServer) -> None:
    page = httpx.get(live_server.url + "/docs", timeout=30)
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']|url: ?["']([^"']+)["']""", page.text)
    assets = [a or b for a, b in urls]
    assert assets, page.text
    assert not [a for a in assets if a.startswith(("http:", "https:", "//"))], assets
    assert "/openapi.json" in assets
    for asset in assets:
        response = httpx.get(live_server.url + asset, timeout=30)
        assert response.status_code == 200, asset
        assert len(response.content) > 100, asset
    bundle = next(a for a in assets if a.endswith("swagger-ui-bundle.js"))
    assert b"SwaggerUIBundle" in httpx.get(live_server.url + bundle, timeout=30).content


CHROMIUM = Path("/usr/bin/chromium")


def test_docs_render_in_a_browser_that_can_reach_only_the_server(live_server: LiveServer) -> None:
    why_not = ensure_packages(["chromium"], [CHROMIUM])
    if why_not is not None:
        unavailable(f"no chromium to render /docs: {why_not}")
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--virtual-time-budget=15000",
        "--dump-dom",
        live_server.url + "/docs",
    ]
    rendered = subprocess.run(command, capture_output=True, text=True, timeout=180).stdout

    assert "listAccountCallRecordings" in rendered  # Swagger UI drew the operations of /openapi.json
    assert "Get Call Recordings" in rendered
