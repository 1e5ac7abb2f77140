"""Typed disclosure records (spec/records.md).

Any of the thirteen record types is built with :meth:`Record.from_dict` from a mapping with
the record's field names: dates as ``"YYYY-MM-DD"`` (or :class:`datetime.date`), a drug
test's ``collected_at`` in Unix seconds, hours in tenths of an hour, vocabulary values as
their tokens; an absent optional field is left out (``None`` values are dropped). The records
a treatment provider sends most often also have typed constructors (:meth:`Record.drug_test`,
:meth:`Record.attendance`, :meth:`Record.progress_report`). Every path is checked by the core
exactly as a record inside an envelope is.
"""

from __future__ import annotations

import json
import typing

from . import _ffi
from ._util import DateLike, Timestamp, date_text, seconds, to_json
from .errors import _call

FieldSpec = _ffi.FieldSpec
"""One field of a record type's schema: ``name``, ``tier`` (``t1``, ``t2``, ``t3``, ``cj``,
``lead``), ``required``, ``description``."""

__all__ = ["Record", "FieldSpec", "record_types", "record_schema"]


def record_types() -> list[str]:
    """The thirteen record type tokens, in catalogue order."""
    return _ffi.record_types()


def record_schema(record_type: str) -> list[FieldSpec]:
    """Every field of a record type, with its sensitivity tier."""
    return _call(_ffi.record_schema, record_type)


def _drop_none(fields: typing.Mapping[str, typing.Any]) -> dict[str, typing.Any]:
    return {k: v for k, v in fields.items() if v is not None}


class Record:
    """A valid record. Immutable; records compare equal when their contents are equal.
    Its ``repr`` shows only the type: records are protected health information."""

    __slots__ = ("_inner",)

    def __init__(self, inner: _ffi.Record) -> None:
        self._inner = inner

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

    @classmethod
    def drug_test(
        cls,
        *,
        collected_at: Timestamp,
        specimen: str,
        observed: bool,
        panel: str,
        results: typing.Mapping[str, str] | typing.Iterable[tuple[str, str]] = (),
        confirmation: str | None = None,
        program_outcome: str | None = None,
        prescription_consistent: bool | None = None,
    ) -> Record:
        """A drug test (tier t2).

        ``results`` maps analyte to result (``negative``, ``positive``, ``negative_dilute``,
        ...); ``specimen`` is ``urine``, ``oral_fluid``, ``breath``, ``blood``,
        ``sweat_patch`` or ``hair``; ``confirmation`` is ``not_required``, ``pending``,
        ``confirmed_positive`` or ``confirmed_negative``; ``program_outcome`` is ``missed``,
        ``refused`` or ``tampered``.
        """
        pairs = results.items() if isinstance(results, typing.Mapping) else results
        return cls(
            _call(
                _ffi.Record.drug_test,
                seconds(collected_at),
                specimen,
                observed,
                panel,
                [_ffi.AnalyteResult(analyte=a, result=r) for a, r in pairs],
                confirmation,
                program_outcome,
                prescription_consistent,
            )
        )

    @classmethod
    def attendance(
        cls,
        *,
        date: DateLike,
        service_type: str,
        status: str,
        hours_tenths: int | None = None,
        cumulative_hours_tenths: int | None = None,
    ) -> Record:
        """One attendance entry (tier t1). ``service_type`` is ``individual``, ``group``,
        ``intensive_outpatient``, ``residential``, ``case_management`` or ``other``;
        ``status`` is ``present``, ``absent``, ``late`` or ``excused``; hours are in tenths
        (15 = 1.5 h)."""
        return cls(
            _call(
                _ffi.Record.attendance,
                date_text(date),
                service_type,
                status,
                hours_tenths,
                cumulative_hours_tenths,
            )
        )

    @classmethod
    def progress_report(
        cls,
        *,
        period_start: DateLike,
        period_end: DateLike,
        status: str,
        engagement: str | None = None,
        goals_met: int | None = None,
        barriers: typing.Iterable[str] = (),
        recommended_response: str | None = None,
    ) -> Record:
        """A progress report for a period (tier t2). ``status`` is ``compliant``,
        ``partial`` or ``non_compliant``; ``recommended_response`` is ``continue``,
        ``incentive``, ``sanction``, ``service_adjustment``, ``phase_advance`` or
        ``discharge``."""
        return cls(
            _call(
                _ffi.Record.progress_report,
                date_text(period_start),
                date_text(period_end),
                status,
                engagement,
                goals_met,
                list(barriers),
                recommended_response,
            )
        )

    @property
    def record_type(self) -> str:
        """The record type token, e.g. ``drug_test``."""
        return self._inner.record_type()

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
