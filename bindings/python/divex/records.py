"""Typed disclosure records (spec/records.md).

Every record type of the library's record catalogue has, with no code here per type:

* a typed class generated from the catalogue (``divex.records.DrugTest``,
  ``divex.records.Attendance``, ...: keyword arguments named after the fields, optional
  fields defaulting to absent), turned into a record by :meth:`Record.of`;
* a constructor on :class:`Record` named after the record type's token
  (``Record.drug_test(...)``, ``Record.court_event(...)``, ...), taking the fields as keyword
  arguments with Python conveniences: dates as ``"YYYY-MM-DD"`` or :class:`datetime.date`, a
  drug test's ``collected_at`` as Unix seconds or an aware :class:`datetime.datetime`,
  ``results`` as a mapping from analyte to result, any iterable for a list, and an empty
  optional list or ``None`` for a field left out.

Hours are in tenths of an hour and vocabulary values their tokens, as in the record's JSON.
Any type can also be built from a mapping with the record's field names
(:meth:`Record.from_dict`), its JSON or its bytes. Every path is checked by the core exactly
as a record inside an envelope is, and a wrong value gets the same field-named
:class:`RecordError` on every path.
"""

from __future__ import annotations

import collections.abc
import json
import typing

from . import _ffi
from ._util import date_text, seconds, to_json
from .errors import _call

FieldSpec = _ffi.FieldSpec
"""One field of a record type's schema: ``name``, ``tier`` (``t1``, ``t2``, ``t3``, ``cj``,
``lead``), ``required``, ``description`` and ``kind`` (``date``, ``timestamp``,
``short_text``, ``vocabulary``, ``text_list``, ...)."""

AnalyteResult = _ffi.AnalyteResult
"""One result of a drug test: ``analyte`` and ``result`` (a test-result token)."""

TypedRecord = _ffi.TypedRecord
"""A record of any type, typed: ``TypedRecord.DRUG_TEST(record=DrugTest(...))``, ..."""


def record_types() -> list[str]:
    """The record type tokens, in catalogue order."""
    return _ffi.record_types()


def record_schema(record_type: str) -> list[FieldSpec]:
    """Every field of a record type, with its sensitivity tier and kind."""
    return _call(_ffi.record_schema, record_type)


def _class_name(record_type: str) -> str:
    """``drug_test`` → ``DrugTest``: the generated class of a record type."""
    return "".join(part.capitalize() for part in record_type.split("_"))


def _drop_none(fields: typing.Mapping[str, typing.Any]) -> dict[str, typing.Any]:
    return {k: v for k, v in fields.items() if v is not None}


def _analyte_results(value: typing.Any) -> list[AnalyteResult]:
    if isinstance(value, collections.abc.Mapping):
        value = value.items()
    return [
        r if isinstance(r, AnalyteResult) else AnalyteResult(analyte=r[0], result=r[1])
        for r in value
    ]


def _field_value(spec: FieldSpec | None, value: typing.Any) -> typing.Any:
    """The generated class's value for a keyword argument (``None``: leave the field out)."""
    if spec is None or value is None:
        return value
    if spec.kind == "date":
        return date_text(value)
    if spec.kind == "timestamp":
        return seconds(value)
    if spec.kind == "analyte_results":
        return _analyte_results(value)
    if spec.kind.endswith("_list"):
        items = list(value)
        return items if items or spec.required else None
    return value


class Record:
    """A valid record. Immutable; records compare equal when their contents are equal.
    Its ``repr`` shows only the type: records are protected health information.

    Besides the methods below, ``Record.<record_type>(**fields)`` builds a record of each
    type of :func:`record_types`, e.g. ``Record.drug_test(collected_at=..., specimen="urine",
    observed=True, panel="10-panel", results={"fentanyl": "negative"})``."""

    __slots__ = ("_inner",)

    def __init__(self, inner: _ffi.Record) -> None:
        self._inner = inner

    @classmethod
    def of(cls, fields: typing.Any) -> Record:
        """The record with these typed fields: an instance of a generated record class
        (``DrugTest(...)``) or a :data:`TypedRecord`.

        Raises:
            RecordError: a field is invalid (the message names it).
        """
        if not isinstance(fields, TypedRecord):
            record_type = "".join(
                f"_{c.lower()}" if c.isupper() else c for c in type(fields).__name__
            ).lstrip("_")
            fields = getattr(TypedRecord, record_type.upper())(record=fields)
        return cls(_call(_ffi.Record, fields))

    @classmethod
    def from_dict(cls, record_type: str, fields: typing.Mapping[str, typing.Any]) -> Record:
        """A record of ``record_type`` (e.g. ``"court_event"``) from its fields.

        Raises:
            RecordError: a field is unknown, missing or invalid (the message names it).
            InvalidInputError: ``record_type`` is unknown, or a value is not representable
                (a float, for example).
        """
        return cls(_call(_ffi.Record.from_json, record_type, to_json(_drop_none(fields))))

    @classmethod
    def from_json(cls, record_type: str, text: str) -> Record:
        """A record from its JSON map."""
        return cls(_call(_ffi.Record.from_json, record_type, text))

    @classmethod
    def from_bytes(cls, record_type: str, data: bytes) -> Record:
        """A record from its strict CBOR encoding."""
        return cls(_call(_ffi.Record.from_bytes, record_type, bytes(data)))

    @property
    def record_type(self) -> str:
        """The record type token, e.g. ``drug_test``."""
        return self._inner.record_type()

    def typed(self) -> typing.Any:
        """The record's typed fields: an instance of its generated class (``DrugTest``,
        ...)."""
        return _call(self._inner.typed).record

    def to_dict(self) -> dict[str, typing.Any]:
        """The record's fields (the shape :meth:`from_dict` takes)."""
        fields: dict[str, typing.Any] = json.loads(self._inner.to_json())
        return fields

    def to_json(self) -> str:
        """The record as a JSON map."""
        return self._inner.to_json()

    def to_bytes(self) -> bytes:
        """The strict CBOR encoding."""
        return self._inner.to_bytes()

    def __bytes__(self) -> bytes:
        return self.to_bytes()

    def fields(self) -> list[FieldSpec]:
        """The fields present, with their tiers."""
        return self._inner.fields()

    def redact(self, fields: typing.Iterable[str]) -> Record:
        """A copy without the named optional fields."""
        return Record(_call(self._inner.redact, list(fields)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Record):
            return NotImplemented
        return bool(self._inner == other._inner)

    def __hash__(self) -> int:
        return hash((self.record_type, self.to_bytes()))

    def __repr__(self) -> str:
        return f"Record(record_type={self.record_type!r})"


def _constructor(record_type: str) -> typing.Callable[..., Record]:
    """``Record.<record_type>(**fields)``: the generated class, with Python conveniences."""
    typed_class = getattr(_ffi, _class_name(record_type))
    schema = {spec.name: spec for spec in _ffi.record_schema(record_type)}

    def build(cls: type[Record], **fields: typing.Any) -> Record:
        values = {name: _field_value(schema.get(name), v) for name, v in fields.items()}
        for spec in schema.values():
            # Analyte results may be empty (a missed test has none); they start empty, as
            # with Rust's `DrugTest::new`.
            if spec.kind == "analyte_results" and values.get(spec.name) is None:
                values[spec.name] = []
        return cls.of(typed_class(**{k: v for k, v in values.items() if v is not None}))

    build.__name__ = build.__qualname__ = record_type
    build.__doc__ = (
        f"A ``{record_type}`` record from its fields, as keyword arguments: "
        + ", ".join(
            f"``{s.name}``" + ("" if s.required else " (optional)") for s in schema.values()
        )
        + "."
    )
    return classmethod(build)  # type: ignore[return-value]


# One typed class and one constructor per record type of the catalogue.
_TYPED_CLASSES = {t: getattr(_ffi, _class_name(t)) for t in _ffi.record_types()}
for _record_type, _typed_class in _TYPED_CLASSES.items():
    setattr(Record, _record_type, _constructor(_record_type))
    globals()[_typed_class.__name__] = _typed_class

__all__ = [
    "Record",
    "FieldSpec",
    "AnalyteResult",
    "TypedRecord",
    "record_types",
    "record_schema",
    *(c.__name__ for c in _TYPED_CLASSES.values()),
]
