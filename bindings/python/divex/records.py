"""Typed disclosure records (spec/records.md): Python conveniences on the generated
:class:`Record`.

The record types, the typed record classes (``DrugTest``, ``Attendance``, ...: keyword
arguments named after the fields, optional ones defaulting to absent), :class:`TypedRecord`,
:class:`RecordType`, :class:`FieldSpec` and :class:`Record` itself are generated from the
library's record catalogue. Why this module has code of its own: Python callers build records
from keyword arguments and mappings, so :class:`Record` gets, for every record type and with no
code here per type,

* a constructor named after the type's token (``Record.drug_test(...)``,
  ``Record.court_event(...)``, ...) taking the fields as keyword arguments, with dates as
  ``"YYYY-MM-DD"`` or :class:`datetime.date`, a drug test's ``collected_at`` as Unix seconds
  or an aware :class:`datetime.datetime`, ``results`` as a mapping from analyte to result, any
  iterable for a list, and an empty optional list or ``None`` for a field left out;
* :meth:`Record.of` (a typed record instance, without naming its :class:`TypedRecord`
  variant), :meth:`Record.from_dict` and :meth:`Record.to_dict` (a mapping instead of JSON
  text; the record type may be given as its token).

Hours are in tenths of an hour and vocabulary values their tokens, as in the record's JSON.
Every path is checked by the library exactly as a record inside an envelope is, and a wrong
value gets the same field-named :class:`RecordError` on every path.
"""

from __future__ import annotations

import collections.abc
import json
import typing

from . import _ffi
from ._util import date_text, seconds, to_json

Record: typing.Any = _ffi.Record
TypedRecord: typing.Any = _ffi.TypedRecord
_Kind: typing.Any = _ffi.FieldKind

__all__ = ["Record"]


def _record_type(record_type: typing.Any) -> typing.Any:
    """A :class:`RecordType`, given as one or as its token (``"drug_test"``)."""
    if isinstance(record_type, _ffi.RecordType):
        return record_type
    return _ffi.parse_record_type(record_type)


def _analyte_results(value: typing.Any) -> list[typing.Any]:
    if isinstance(value, collections.abc.Mapping):
        value = value.items()
    return [
        r if isinstance(r, _ffi.AnalyteResult) else _ffi.AnalyteResult(analyte=r[0], result=r[1])
        for r in value
    ]


def _field_value(spec: typing.Any, value: typing.Any) -> typing.Any:
    """The typed class's value for a keyword argument (``None``: leave the field out)."""
    if spec is None or value is None:
        return value
    if spec.kind == _Kind.DATE:
        return date_text(value)
    if spec.kind == _Kind.TIMESTAMP:
        return seconds(value)
    if spec.kind == _Kind.ANALYTE_RESULTS:
        return _analyte_results(value)
    if spec.kind in (_Kind.TEXT_LIST, _Kind.VOCABULARY_LIST, _Kind.CODE_LIST):
        items = list(value)
        return items if items or spec.required else None
    return value


def _of(cls: typing.Any, fields: typing.Any) -> typing.Any:
    """The record with these typed fields: an instance of a generated record class
    (``DrugTest(...)``) or a :class:`TypedRecord`."""
    if not isinstance(fields, _ffi.TypedRecord):
        variant = "".join(
            f"_{c}" if c.isupper() else c.upper() for c in type(fields).__name__
        ).lstrip("_")
        fields = getattr(TypedRecord, variant)(record=fields)
    return cls(fields)


def _from_dict(cls: typing.Any, record_type: typing.Any, fields: typing.Mapping[str, typing.Any]):
    """A record of ``record_type`` (a :class:`RecordType` or its token) from its fields."""
    present = {k: v for k, v in fields.items() if v is not None}
    return cls.from_json(_record_type(record_type), to_json(present))


def _to_dict(self: typing.Any) -> dict[str, typing.Any]:
    """The record's fields (the shape :meth:`Record.from_dict` takes)."""
    fields: dict[str, typing.Any] = json.loads(self.to_json())
    return fields


def _constructor(record_type: typing.Any) -> typing.Any:
    """``Record.<token>(**fields)``: the generated typed class, with Python conveniences."""
    token = record_type.name.lower()
    typed_class = getattr(_ffi, "".join(p.capitalize() for p in token.split("_")))
    schema = {spec.name: spec for spec in _ffi.record_schema(record_type)}

    def build(cls: typing.Any, **fields: typing.Any) -> typing.Any:
        values = {name: _field_value(schema.get(name), v) for name, v in fields.items()}
        for spec in schema.values():
            # Analyte results may be empty (a missed test has none); they start empty, as
            # with Rust's `DrugTest::new`.
            if spec.kind == _Kind.ANALYTE_RESULTS and values.get(spec.name) is None:
                values[spec.name] = []
        return cls.of(typed_class(**{k: v for k, v in values.items() if v is not None}))

    build.__name__ = build.__qualname__ = token
    build.__doc__ = (
        f"A ``{token}`` record from its fields, as keyword arguments: "
        + ", ".join(
            f"``{s.name}``" + ("" if s.required else " (optional)") for s in schema.values()
        )
        + "."
    )
    return classmethod(build)


Record.of = classmethod(_of)
Record.from_dict = classmethod(_from_dict)
Record.to_dict = _to_dict
# One constructor per record type of the catalogue.
for _record_type_value in _ffi.record_types():
    setattr(Record, _record_type_value.name.lower(), _constructor(_record_type_value))
