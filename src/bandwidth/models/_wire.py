"""The one place that decides how models look on the wire.

Every model inherits :class:`WireModel` and every enum :class:`WireEnum`. The rules:

* keys are the camelCase aliases; construction accepts aliases and field names;
* unknown keys are kept in ``additional_properties`` and written back out, like the official SDK;
* ``to_dict()`` is the official SDK's python-mode dict (datetimes stay ``datetime``, an explicitly
  set nullable field stays as ``None``);
* ``to_wire()`` / ``to_json()`` are the JSON wire form: ``None`` omitted, enums as values and
  datetimes as ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (UTC, milliseconds);
* parsing accepts any ISO-8601 date-time form.
"""

from __future__ import annotations

import functools
import json
import pprint
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any, ClassVar, Self, get_args

from dateutil.parser import isoparse
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PlainSerializer,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

_WIRE_CONTEXT_KEY = "bandwidth_wire"


def format_wire_datetime(value: datetime) -> str:
    """`2022-06-17T22:19:40.375Z`: UTC, milliseconds (truncated). Naive datetimes are taken as UTC."""
    if value.tzinfo is UTC:
        utc = value
    else:
        utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if utc.year >= 1000:  # isoformat pads the year to 4 digits
        text = utc.isoformat()  # YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00
        return text[:23] + "Z" if utc.microsecond else text[:19] + ".000Z"
    return (
        f"{utc.year}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}"
        f".{utc.microsecond // 1000:03d}Z"
    )


_NAIVE_TEXT_LENGTH = len("2022-06-17 22:19:40.375000")


def wire_datetime(value: datetime | str) -> str:
    """`format_wire_datetime` of a datetime or of its ISO-8601 text (naive text is UTC, as a database
    stores it). Naive text with microseconds and a four-digit year is cut to milliseconds as it is,
    without a datetime: a list of 1,000 recordings spells 2,000 times."""
    if isinstance(value, str):
        if len(value) == _NAIVE_TEXT_LENGTH and value[10] in " T" and value[19] == "." and value[0] != "0":
            return f"{value[:10]}T{value[11:23]}Z"
        parsed = parse_iso8601_datetime(value)
        if not isinstance(parsed, datetime):
            raise ValueError(f"Not an ISO-8601 date-time: {value!r}")
        return format_wire_datetime(parsed)
    return format_wire_datetime(value)


def parse_iso8601_datetime(value: Any) -> Any:
    """Turn any ISO-8601 date-time string into a datetime; leave other values to pydantic."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        return isoparse(text)
    except (ValueError, OverflowError):
        return value  # pydantic reports the error with the field's location


WireDatetime = Annotated[
    datetime,
    BeforeValidator(parse_iso8601_datetime),
    PlainSerializer(format_wire_datetime, return_type=str, when_used="json"),
]
"""The type of every date-time field of every model."""


class WireEnum(str, Enum):  # noqa: UP042 (a str mixin like the official SDK; not StrEnum)
    """Base of the string enums (it has no members itself)."""

    @classmethod
    def from_json(cls, json_str: str) -> Self:
        return cls(json.loads(json_str))

    def to_wire(self) -> str:
        return str(self.value)


def _enum_in(annotation: Any) -> type[Enum] | None:
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return annotation
    return next((found for arg in get_args(annotation) if (found := _enum_in(arg))), None)


@functools.cache
def _wire_plan(model: type[WireModel]) -> list[tuple[str, str, Callable[[Any], Any] | None]]:
    """(field name, wire key, the enum's wire value of a value, for an enum field) of each field of
    `model`, in the order `to_wire()` writes them."""
    return [
        (name, info.alias or name, _enum_value_of(enum) if (enum := _enum_in(info.annotation)) else None)
        for name, info in model.model_fields.items()
        if name != "additional_properties"
    ]


@functools.cache
def _wire_writer(model: type[WireModel]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """`wire_from_fields` for `model`: each field's value read from the values given by name."""
    reads = {name: f"get({name!r})" for name, _key, _enum_value in _wire_plan(model)}
    return _written_out(model, "values", ["get = values.get"], reads, {})


@dataclass(frozen=True)
class Derived:
    """A field of a wire row that is a function of some of the row's values, and of the writer's
    context (say, the base URL) first when `with_context`."""

    function: Callable[..., Any]
    positions: tuple[int, ...]
    with_context: bool = False


RowSource = int | Derived
"""Where a wire row holds a field: the value at a position, or a function of values (`Derived`)."""


def wire_row_writer(
    model: type[WireModel], sources: Mapping[str, RowSource]
) -> Callable[[Sequence[Any], Any], dict[str, Any]]:
    """`write(row, context)`: `model`'s wire form of one row of values, the way `wire_from_fields` writes
    it from the same values by name (fields not in `sources` are left out, as None is). A datetime
    field takes a datetime or its ISO-8601 text (a database's own spelling: `wire_datetime`)."""
    unknown = set(sources) - {name for name, _key, _enum_value in _wire_plan(model)}
    if unknown:
        raise ValueError(f"{model.__name__} has no field {sorted(unknown)}")
    names: dict[str, Any] = {}
    reads: dict[str, str] = {}
    for position, (name, source) in enumerate(sources.items()):
        if isinstance(source, Derived):
            names[f"derive_{position}"] = source.function
            values = [
                *(["context"] if source.with_context else []),
                *(f"row[{at}]" for at in source.positions),
            ]
            reads[name] = f"derive_{position}({', '.join(values)})"
        else:
            reads[name] = f"row[{source}]"
    return _written_out(model, "row, context", [], reads, names)


def _written_out(
    model: type[WireModel],
    arguments: str,
    preamble: list[str],
    reads: Mapping[str, str],
    names: dict[str, Any],
) -> Callable[..., dict[str, Any]]:
    """A writer of `model`'s wire form, written out from its plan as straight-line code, one `if` per
    field read (a loop over the plan costs 2.5x as much, which a list of 1,000 recordings feels). For
    each field in the plan's order that `reads` names: skip None; a datetime as on the wire (its text
    too, for a datetime field); an enum field's value checked and written as its value; anything else
    as it is."""
    lines = [f"def write({arguments}):", "    wire = {}", *(f"    {line}" for line in preamble)]
    names.update(datetime=datetime, format_datetime=format_wire_datetime, wire_datetime=wire_datetime)
    for position, (name, key, enum_value) in enumerate(_wire_plan(model)):
        if name not in reads:
            continue
        lines += [f"    value = {reads[name]}", "    if value is not None:"]
        if _is_datetime(model, name):
            lines.append("        value = wire_datetime(value)")
        else:
            lines += ["        if isinstance(value, datetime):", "            value = format_datetime(value)"]
            if enum_value is not None:
                names[f"enum_value_{position}"] = enum_value
                lines += ["        else:", f"            value = enum_value_{position}(value)"]
        lines.append(f"        wire[{key!r}] = value")
    lines.append("    return wire")
    exec("\n".join(lines), names)  # names and keys are the model's own, written out by repr
    writer: Callable[..., dict[str, Any]] = names["write"]
    return writer


def _is_datetime(model: type[WireModel], name: str) -> bool:
    return _holds_datetime(model.model_fields[name].annotation)


def _holds_datetime(annotation: Any) -> bool:
    return annotation is datetime or any(_holds_datetime(arg) for arg in get_args(annotation))


def _enum_value_of(enum: type[Enum]) -> Callable[[Any], Any]:
    """`enum(value).value`, looked up for a member or its value (a dict lookup, not an enum call)."""
    known: dict[Any, Any] = {member.value: member.value for member in enum}

    def wire_value(value: Any) -> Any:
        try:
            found = known.get(value)
        except TypeError:  # unhashable: the enum's own error says what is wrong with it
            found = None
        return found if found is not None else enum(value).value

    return wire_value


class WireModel(BaseModel):
    """Base of every wire model."""

    model_config = ConfigDict(populate_by_name=True, validate_assignment=True, protected_namespaces=())

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset()
    """Field names that `to_dict()` writes as ``None`` when they were explicitly set to ``None``."""

    additional_properties: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def wire_keys(cls) -> frozenset[str]:
        """Every key the model knows: field names and their aliases."""
        keys: set[str] = set()
        for name, info in cls.model_fields.items():
            keys.add(name)
            if info.alias:
                keys.add(info.alias)
        return frozenset(keys)

    @model_validator(mode="wrap")
    @classmethod
    def _keep_unknown_keys(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        if not isinstance(data, dict):
            return handler(data)
        known = cls.wire_keys()
        unknown = {key: value for key, value in data.items() if key not in known}
        if not unknown:
            return handler(data)
        model = handler({key: value for key, value in data.items() if key in known})
        model.additional_properties.update(unknown)
        return model

    @model_serializer(mode="wrap")
    def _flatten_additional_properties(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        extras = data.pop("additional_properties", None)
        wire = bool(info.context and info.context.get(_WIRE_CONTEXT_KEY))
        if info.exclude_none and not wire:
            self._restore_explicit_nulls(data, by_alias=bool(info.by_alias))
        if extras:
            data.update(extras)
        return data

    def _restore_explicit_nulls(self, data: dict[str, Any], *, by_alias: bool) -> None:
        fields = type(self).model_fields
        for name in self.NULLABLE_FIELDS:
            if name in self.model_fields_set and getattr(self, name) is None:
                alias = fields[name].alias
                data[alias if by_alias and alias else name] = None

    # -- the official SDK's model API -------------------------------------------------------------

    def to_str(self) -> str:
        """Returns the string representation of the model using alias."""
        return pprint.pformat(self.model_dump(by_alias=True))

    def to_dict(self) -> dict[str, Any]:
        """The model as a dict keyed by alias (python values: datetimes, enum members)."""
        return self.model_dump(by_alias=True, exclude_none=True)

    def to_wire(self) -> dict[str, Any]:
        """The JSON-ready wire form: aliases, no ``None``, enum values, millisecond UTC datetimes."""
        return self.model_dump(
            mode="json", by_alias=True, exclude_none=True, context={_WIRE_CONTEXT_KEY: True}
        )

    def to_json(self) -> str:
        """The JSON wire form as a string (same content as `to_wire()`)."""
        return json.dumps(self.to_wire())

    @classmethod
    def wire_from_fields(cls, **values: Any) -> dict[str, Any]:
        """``cls(**values).to_wire()`` without building the model, for values a server already holds in
        the fields' types (a nested model given as its own wire dict): the same keys in the same order,
        ``None`` omitted, enums checked and written as values, datetimes as on the wire. Building and
        dumping a model costs ~50x more, which a list of 1,000 recordings feels."""
        return _wire_writer(cls)(values)

    @classmethod
    def wire_row_writer(
        cls, sources: Mapping[str, RowSource]
    ) -> Callable[[Sequence[Any], Any], dict[str, Any]]:
        """See `wire_row_writer`: the wire form of rows of values, for a list a server reads by position."""
        return wire_row_writer(cls, sources)

    @classmethod
    def from_dict(cls, obj: Any) -> Self | None:
        """Create an instance from a dict (unknown keys go to ``additional_properties``)."""
        if obj is None:
            return None
        return cls.model_validate(obj)

    @classmethod
    def from_json(cls, json_str: str) -> Self | None:
        """Create an instance from a JSON string."""
        return cls.from_dict(json.loads(json_str))
