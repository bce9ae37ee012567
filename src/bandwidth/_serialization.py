"""`SerializationMixin` of `ApiClient`: values to the wire and back. Models, enums, dates and
containers become JSON-ready values (`sanitize_for_serialization`); parameters become (name, value)
pairs, a percent-encoded query string or multipart file fields (`parameters_to_tuples`,
`parameters_to_url_query`, `files_parameters`); a response body becomes the model, list or native
value its type name says (`deserialize`)."""

from __future__ import annotations

import datetime
import decimal
import json
import mimetypes
import os
import re
import uuid
from collections.abc import Mapping
from enum import Enum
from typing import Any, ClassVar
from urllib.parse import quote

from pydantic import SecretStr

import bandwidth.models
from bandwidth.exceptions import ApiException
from bandwidth.models._wire import format_wire_datetime

_COLLECTION_DELIMITERS = {"ssv": " ", "tsv": "\t", "pipes": "|", "csv": ","}


class SerializationMixin:
    """Stateless conversions between Python values and the wire format, shared by `ApiClient`."""

    PRIMITIVE_TYPES: ClassVar[tuple[type, ...]] = (float, bool, bytes, str, int)
    NATIVE_TYPES_MAPPING: ClassVar[dict[str, type]] = {
        "int": int,
        "long": int,
        "float": float,
        "str": str,
        "bool": bool,
        "date": datetime.date,
        "datetime": datetime.datetime,
        "decimal": decimal.Decimal,
        "object": object,
    }

    def sanitize_for_serialization(self, obj: Any) -> Any:
        """Turn models, enums, datetimes and containers into JSON-ready values (the wire format)."""
        if obj is None:
            return None
        if isinstance(obj, Enum):
            return obj.value
        if isinstance(obj, SecretStr):
            return obj.get_secret_value()
        if isinstance(obj, self.PRIMITIVE_TYPES):
            return obj
        if isinstance(obj, uuid.UUID):
            return str(obj)
        if isinstance(obj, list):
            return [self.sanitize_for_serialization(item) for item in obj]
        if isinstance(obj, tuple):
            return tuple(self.sanitize_for_serialization(item) for item in obj)
        if isinstance(obj, datetime.datetime):
            return format_wire_datetime(obj)
        if isinstance(obj, datetime.date):
            return obj.isoformat()
        if isinstance(obj, decimal.Decimal):
            return str(obj)
        if isinstance(obj, dict):
            return {key: self.sanitize_for_serialization(value) for key, value in obj.items()}
        if callable(getattr(obj, "to_wire", None)):
            return obj.to_wire()
        if callable(getattr(obj, "to_dict", None)):
            return self.sanitize_for_serialization(obj.to_dict())
        return self.sanitize_for_serialization(obj.__dict__)

    def parameters_to_tuples(
        self, params: Mapping[str, Any] | list[tuple[str, Any]], collection_formats: dict[str, str] | None
    ) -> list[tuple[str, Any]]:
        """Parameters as (name, value) pairs; list values joined as their collection format says."""
        formats = collection_formats or {}
        pairs: list[tuple[str, Any]] = []
        for key, value in params.items() if isinstance(params, Mapping) else params:
            collection_format = formats.get(key)
            if collection_format is None:
                pairs.append((key, value))
            elif collection_format == "multi":
                pairs.extend((key, item) for item in value)
            else:
                delimiter = _COLLECTION_DELIMITERS.get(collection_format, ",")
                pairs.append((key, delimiter.join(str(item) for item in value)))
        return pairs

    def parameters_to_url_query(
        self, params: Mapping[str, Any] | list[tuple[str, Any]], collection_formats: dict[str, str] | None
    ) -> str:
        """`a=Hello%20World&b=123`; values are percent-encoded like the official SDK does."""
        formats = collection_formats or {}
        pairs: list[tuple[str, str]] = []
        for key, raw in params.items() if isinstance(params, Mapping) else params:
            value = _query_scalar(raw)
            collection_format = formats.get(key)
            if collection_format is None:
                pairs.append((key, quote(str(value))))
            elif collection_format == "multi":
                pairs.extend((key, quote(str(item))) for item in value)
            else:
                delimiter = _COLLECTION_DELIMITERS.get(collection_format, ",")
                pairs.append((key, delimiter.join(quote(str(item)) for item in value)))
        return "&".join(f"{key}={value}" for key, value in pairs)

    def files_parameters(self, files: dict[str, Any]) -> list[tuple[str, tuple[str, bytes, str]]]:
        """Multipart file fields: a path, raw bytes, a (filename, bytes) pair or a list of those."""
        params: list[tuple[str, tuple[str, bytes, str]]] = []
        for key, value in files.items():
            if isinstance(value, list):
                for item in value:
                    params.extend(self.files_parameters({key: item}))
                continue
            if isinstance(value, str):
                with open(value, "rb") as handle:
                    filename, filedata = os.path.basename(handle.name), handle.read()
            elif isinstance(value, bytes):
                filename, filedata = key, value
            elif isinstance(value, tuple):
                filename, filedata = value
            else:
                raise ValueError("Unsupported file value")
            mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
            params.append((key, (filename, filedata, mimetype)))
        return params

    def deserialize(self, response_text: str, response_type: str, content_type: str | None) -> Any:
        """Parse a response body (JSON or text) into ``response_type`` (a type name such as
        ``"List[CallRecordingMetadata]"``)."""
        if content_type is None:
            try:
                data: Any = json.loads(response_text)
            except ValueError:
                data = response_text
        elif re.match(r"^application/(json|[\w!#$&.+\-^_]+\+json)\s*(;|$)", content_type, re.IGNORECASE):
            data = json.loads(response_text) if response_text else ""
        elif re.match(r"^text/[a-z.+-]+\s*(;|$)", content_type, re.IGNORECASE):
            data = response_text
        else:
            raise ApiException(status=0, reason=f"Unsupported content type: {content_type}")
        return self._deserialize_value(data, response_type)

    def _deserialize_value(self, data: Any, klass: str | type) -> Any:
        if data is None:
            return None
        if isinstance(klass, str):
            container = re.fullmatch(r"(List|Dict)\[(?:[^,\]]*, )?(.*)\]", klass)
            if container and container.group(1) == "List":
                return [self._deserialize_value(item, container.group(2)) for item in data]
            if container:
                return {
                    key: self._deserialize_value(value, container.group(2)) for key, value in data.items()
                }
            klass = self.NATIVE_TYPES_MAPPING.get(klass) or getattr(bandwidth.models, klass)
        return self._deserialize_as_type(data, klass)

    def _deserialize_as_type(self, data: Any, klass: Any) -> Any:
        if klass in self.PRIMITIVE_TYPES:
            try:
                return klass(data)
            except UnicodeEncodeError:
                return str(data)
            except TypeError:
                return data
        if klass is object:
            return data
        if klass is datetime.date or klass is datetime.datetime:
            return _parse_date_or_datetime(data, klass)
        if klass is decimal.Decimal:
            return decimal.Decimal(data)
        if isinstance(klass, type) and issubclass(klass, Enum):
            try:
                return klass(data)
            except ValueError:
                raise ApiException(status=0, reason=f"Failed to parse `{data}` as `{klass}`") from None
        return klass.from_dict(data)


def _query_scalar(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict):
        return json.dumps(value)
    return value


def _parse_date_or_datetime(data: Any, klass: type) -> Any:
    from dateutil.parser import parse

    try:
        parsed = parse(data)
    except (ValueError, OverflowError):
        raise ApiException(status=0, reason=f"Failed to parse `{data}` as {klass.__name__} object") from None
    return parsed.date() if klass is datetime.date else parsed
