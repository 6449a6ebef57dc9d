"""A plan as JSON text and back, exactly: :func:`plan_to_json` and :func:`plan_from_json`.

The app keeps a plan with the scenario version it was made from, so every page, session and server
shows the same plan and the same numbers without solving again. What matters:

- The record says ``"record": 1`` (:data:`RECORD_VERSION`) and ``"kind": "plan"``. Text that is not
  such a record (not JSON, another version, a field missing, unknown or of the wrong type) is
  refused with a :class:`~planner.errors.PlannerError`: the caller solves again rather than show a
  plan half read. A change to :class:`~planner.solve.plan.PlanResult` or to the frames
  :func:`~planner.solve.plan.make_plan` builds needs a new record version.
- Numbers come back bit for bit: finite floats are written as Python writes them (the shortest text
  that reads back as the same float); NaN and the infinities, which JSON has no number for, as the
  strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``.
- The ``capacity`` and ``prices`` frames come back with the same columns in the same order, the same
  dtypes and the same values, missing ones included: a string column (pandas 3's ``str``) keeps its
  storage and its missing value (NaN or NA); an object column keeps ``None`` apart from NaN. Each
  column is stored with its dtype, its values in a list. Only what a plan holds is written: numpy
  bool, integer and float columns, object columns of text, numbers, booleans and missing values,
  string columns and the nullable integer and boolean ones; a default row index (0 to n-1). Any
  other frame is refused when written, so a plan is never stored in a form that reads back different.
- A record written with pyarrow string columns needs pyarrow to be read; without it the record is
  refused like any other, and the plan is solved again.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast, get_args

import numpy as np
import pandas as pd

from planner.errors import PlannerError
from planner.input_problems import Problem, Severity
from planner.solve.explain import Exclusion
from planner.solve.plan import Assignment, Changes, PlanResult
from planner.solve.problem import PlanStatus

__all__ = ["RECORD_VERSION", "plan_from_json", "plan_to_json"]

RECORD_VERSION = 1
_KIND = "plan"
_FLOAT_TOKENS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
# Nullable pandas dtypes stored by name: values are the number or boolean, or null for NA.
_MASKED = {"Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "boolean"}
_FIELDS = (
    "record",
    "kind",
    "status",
    "objective",
    "bound",
    "gap",
    "baseline_objective",
    "selected",
    "excluded",
    "capacity",
    "prices",
    "seconds",
    "unit",
    "message",
    "problems",
    "sprints",
    "baseline_complete",
    "baseline_keeps_balance",
    "changes",
    "free_objective",
    "free_changes",
)

T = TypeVar("T")
Json = Any  # what json.loads gives: dict, list, str, int, float, bool or None


# Writing -------------------------------------------------------------------------------------------


def plan_to_json(result: PlanResult) -> str:
    """``result`` as JSON text that :func:`plan_from_json` reads back to an equal result.

    Raises :class:`~planner.errors.PlannerError` when a frame holds something the record cannot
    bring back exactly (a dtype or an index :func:`~planner.solve.plan.make_plan` does not make).
    """
    record: dict[str, Json] = {
        "record": RECORD_VERSION,
        "kind": _KIND,
        "status": result.status,
        "objective": _number(result.objective),
        "bound": _optional_number(result.bound),
        "gap": _optional_number(result.gap),
        "baseline_objective": _number(result.baseline_objective),
        "selected": [
            {"id": a.id, "team": a.team, "sprint": a.sprint, "value": _number(a.value), "effort": _number(a.effort)}
            for a in result.selected
        ],
        "excluded": [{"id": e.id, "reason": e.reason, "detail": e.detail} for e in result.excluded],
        "capacity": _frame_record(result.capacity, "capacity"),
        "prices": _frame_record(result.prices, "prices"),
        "seconds": _number(result.seconds),
        "unit": result.unit,
        "message": result.message,
        "problems": [
            {
                "severity": p.severity,
                "message": p.message,
                "file": p.file,
                "sheet": p.sheet,
                "row": p.row,
                "column": p.column,
            }
            for p in result.problems
        ],
        "sprints": list(result.sprints),
        "baseline_complete": result.baseline_complete,
        "baseline_keeps_balance": result.baseline_keeps_balance,
        "changes": _changes_record(result.changes),
        "free_objective": _optional_number(result.free_objective),
        "free_changes": _changes_record(result.free_changes),
    }
    return json.dumps(record, allow_nan=False, separators=(",", ":"))


def _number(value: float) -> Json:
    """A float as JSON: itself when finite (read back bit for bit), else its token; an int stays an int."""
    if isinstance(value, bool):
        raise PlannerError(f"a plan record holds numbers, not {value!r}")
    if isinstance(value, int | np.integer):
        return int(value)
    number = float(value)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return number


def _optional_number(value: float | None) -> Json:
    return None if value is None else _number(value)


def _changes_record(changes: Changes | None) -> Json:
    if changes is None:
        return None
    return {"entered": list(changes.entered), "left": list(changes.left), "moved": list(changes.moved)}


def _dtype_record(dtype: object, where: str) -> dict[str, Json]:
    """The dtype as JSON: ``{"numpy": name}``, ``{"string": storage, "na": "nan" | "NA"}`` or ``{"nullable": name}``."""
    if isinstance(dtype, pd.StringDtype):
        na = "NA" if dtype.na_value is pd.NA else "nan"
        return {"string": dtype.storage, "na": na}
    if isinstance(dtype, np.dtype) and dtype.kind in "biufO":
        return {"numpy": dtype.name}
    name = getattr(dtype, "name", None)
    if name in _MASKED:
        return {"nullable": name}
    raise PlannerError(f"the plan's {where} has dtype {dtype}, which a plan record cannot store exactly")


def _frame_record(frame: pd.DataFrame, name: str) -> dict[str, Json]:
    """The frame as JSON: its column-label dtype, then each column's name, dtype and values."""
    rows = len(frame)
    index = frame.index
    if not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1 and index.name is None):
        raise PlannerError(
            f"the plan's {name} table has an index other than 0 to n-1, which a plan record cannot store"
        )
    labels = frame.columns
    if labels.name is not None or not labels.is_unique or not all(isinstance(label, str) for label in labels):
        raise PlannerError(f"the plan's {name} table needs unique text column names to be stored")
    columns = []
    for position, label in enumerate(labels):
        series = frame.iloc[:, position]
        dtype = _dtype_record(series.dtype, f"{name} column {label!r}")
        columns.append({"name": label, "dtype": dtype, "values": _values(series, dtype, f"{name} column {label!r}")})
    return {"rows": rows, "labels": _dtype_record(labels.dtype, f"{name} column names"), "columns": columns}


def _values(series: pd.Series, dtype: Mapping[str, Json], where: str) -> list[Json]:
    if "string" in dtype or "nullable" in dtype:
        # Missing values come back as the dtype's own missing value.
        return [None if value is pd.NA or _is_nan(value) else _plain(value, where) for value in series.tolist()]
    kind = np.dtype(dtype["numpy"]).kind
    if kind == "f":
        return [_number(value) for value in series.tolist()]
    if kind in "biu":
        return [_plain(value, where) for value in series.tolist()]
    return [_object_value(value, where) for value in series.tolist()]


def _is_nan(value: object) -> bool:
    return isinstance(value, float | np.floating) and math.isnan(value)


def _plain(value: object, where: str) -> Json:
    """A text, boolean, integer or finite float as itself (numpy scalars as Python ones)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, str | bool | int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    raise PlannerError(f"the plan's {where} holds {value!r}, which a plan record cannot store exactly")


def _object_value(value: object, where: str) -> Json:
    """An object cell: text, boolean, integer, float or None as itself; NaN, infinities and NA tagged."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None:
        return None
    if value is pd.NA:
        return {"na": "NA"}
    if isinstance(value, float) and not math.isfinite(value):
        return {"float": _number(value)}
    return _plain(value, where)


# Reading -------------------------------------------------------------------------------------------


def plan_from_json(text: str) -> PlanResult:
    """The plan :func:`plan_to_json` wrote, equal to the one it was given.

    Raises :class:`~planner.errors.PlannerError` when ``text`` is not a plan record of this version
    written by :func:`plan_to_json`; the message says what is wrong (solve again to get the plan).
    """
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except (TypeError, ValueError) as error:  # JSONDecodeError is a ValueError
        raise PlannerError(f"not a plan record: the text is not JSON ({error}); solve the plan again") from error
    if not isinstance(data, dict) or "record" not in data:
        raise PlannerError("not a plan record: no record version in the text; solve the plan again")
    version = data["record"]
    if type(version) is not int or version != RECORD_VERSION:
        raise PlannerError(
            f"the plan record is version {version!r}, this planner reads version {RECORD_VERSION}; solve the plan again"
        )
    try:
        return _plan(data)
    except _Bad as error:
        raise PlannerError(f"not a plan record this planner wrote: {error}; solve the plan again") from None
    except ImportError as error:  # a string storage this server lacks (pyarrow)
        raise PlannerError(f"the plan record cannot be read here ({error}); solve the plan again") from error


class _Bad(Exception):
    """A record that is not what :func:`plan_to_json` writes; the message names the field."""


def _no_duplicates(pairs: list[tuple[str, Json]]) -> dict[str, Json]:
    data: dict[str, Json] = {}
    for key, value in pairs:
        if key in data:
            raise ValueError(f"the key {key!r} is there twice")
        data[key] = value
    return data


def _no_constant(name: str) -> Json:
    raise ValueError(f"{name} is not JSON")


def _plan(data: dict[str, Json]) -> PlanResult:
    _keys(data, _FIELDS, "the record")
    if data["kind"] != _KIND:
        raise _Bad(f"kind is {data['kind']!r}, not {_KIND!r}")
    status = _text(data["status"], "status")
    if status not in get_args(PlanStatus):
        raise _Bad(f"status {status!r} is not a plan status")
    return PlanResult(
        status=cast(PlanStatus, status),
        objective=_read_number(data["objective"], "objective"),
        bound=_maybe(data["bound"], _read_number, "bound"),
        gap=_maybe(data["gap"], _read_number, "gap"),
        baseline_objective=_read_number(data["baseline_objective"], "baseline_objective"),
        selected=_each(data["selected"], _assignment, "selected"),
        excluded=_each(data["excluded"], _exclusion, "excluded"),
        capacity=_frame(data["capacity"], "capacity"),
        prices=_frame(data["prices"], "prices"),
        seconds=_read_number(data["seconds"], "seconds"),
        unit=_text(data["unit"], "unit"),
        message=_text(data["message"], "message"),
        problems=_each(data["problems"], _problem, "problems"),
        sprints=_texts(data["sprints"], "sprints"),
        baseline_complete=_flag(data["baseline_complete"], "baseline_complete"),
        baseline_keeps_balance=_flag(data["baseline_keeps_balance"], "baseline_keeps_balance"),
        changes=_maybe(data["changes"], _changes, "changes"),
        free_objective=_maybe(data["free_objective"], _read_number, "free_objective"),
        free_changes=_maybe(data["free_changes"], _changes, "free_changes"),
    )


def _keys(data: Json, expected: tuple[str, ...], where: str) -> dict[str, Json]:
    if not isinstance(data, dict):
        raise _Bad(f"{where} is not an object")
    missing = [key for key in expected if key not in data]
    if missing:
        raise _Bad(f"{where} lacks {', '.join(missing)}")
    unknown = sorted(set(data) - set(expected))
    if unknown:
        raise _Bad(f"{where} has fields this planner does not know: {', '.join(unknown)}")
    return data


def _maybe(value: Json, read: Callable[[Json, str], T], where: str) -> T | None:
    return None if value is None else read(value, where)


def _text(value: Json, where: str) -> str:
    if not isinstance(value, str):
        raise _Bad(f"{where} is not text")
    return value


def _each(value: Json, read: Callable[[Json, str], T], where: str) -> tuple[T, ...]:
    """Each item of the list ``value``, read by ``read``."""
    return tuple(read(item, f"{where}[{n}]") for n, item in enumerate(_list(value, where)))


def _texts(value: Json, where: str) -> tuple[str, ...]:
    return _each(value, _text, where)


def _flag(value: Json, where: str) -> bool:
    if not isinstance(value, bool):
        raise _Bad(f"{where} is not true or false")
    return value


def _int(value: Json, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Bad(f"{where} is not a whole number")
    return value


def _list(value: Json, where: str) -> list[Json]:
    if not isinstance(value, list):
        raise _Bad(f"{where} is not a list")
    return value


def _read_number(value: Json, where: str) -> float:
    """A number as written by :func:`_number`: JSON number, or the token of NaN or an infinity."""
    if isinstance(value, str) and value in _FLOAT_TOKENS:
        return _FLOAT_TOKENS[value]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Bad(f"{where} is not a number")
    return value


def _assignment(value: Json, where: str) -> Assignment:
    data = _keys(value, ("id", "team", "sprint", "value", "effort"), where)
    return Assignment(
        _text(data["id"], f"{where}.id"),
        _text(data["team"], f"{where}.team"),
        _text(data["sprint"], f"{where}.sprint"),
        _read_number(data["value"], f"{where}.value"),
        _read_number(data["effort"], f"{where}.effort"),
    )


def _exclusion(value: Json, where: str) -> Exclusion:
    data = _keys(value, ("id", "reason", "detail"), where)
    return Exclusion(
        _text(data["id"], f"{where}.id"),
        _text(data["reason"], f"{where}.reason"),
        _text(data["detail"], f"{where}.detail"),
    )


def _problem(value: Json, where: str) -> Problem:
    data = _keys(value, ("severity", "message", "file", "sheet", "row", "column"), where)
    severity = _text(data["severity"], f"{where}.severity")
    if severity not in get_args(Severity):
        raise _Bad(f"{where}.severity {severity!r} is not error or warning")
    return Problem(
        cast(Severity, severity),
        _text(data["message"], f"{where}.message"),
        _text(data["file"], f"{where}.file"),
        _maybe(data["sheet"], _text, f"{where}.sheet"),
        _maybe(data["row"], _int, f"{where}.row"),
        _maybe(data["column"], _text, f"{where}.column"),
    )


def _changes(value: Json, where: str) -> Changes:
    data = _keys(value, ("entered", "left", "moved"), where)
    return Changes(
        _texts(data["entered"], f"{where}.entered"),
        _texts(data["left"], f"{where}.left"),
        _texts(data["moved"], f"{where}.moved"),
    )


def _dtype(value: Json, where: str) -> Any:
    """The dtype :func:`_dtype_record` wrote."""
    if not isinstance(value, dict):
        raise _Bad(f"{where} is not a dtype")
    if set(value) == {"string", "na"}:
        storage = _text(value["string"], where)
        if storage not in ("python", "pyarrow") or value["na"] not in ("nan", "NA"):
            raise _Bad(f"{where} is not a string dtype this planner knows")
        return pd.StringDtype(storage=storage, na_value=pd.NA if value["na"] == "NA" else np.nan)
    if set(value) == {"numpy"}:
        name = _text(value["numpy"], where)
        try:
            dtype = np.dtype(name)
        except TypeError:
            raise _Bad(f"{where}: {name!r} is not a numpy dtype") from None
        if dtype.kind not in "biufO" or dtype.name != name:
            raise _Bad(f"{where}: {name!r} is not a dtype a plan record holds")
        return dtype
    if set(value) == {"nullable"} and value["nullable"] in _MASKED:
        return pd.api.types.pandas_dtype(value["nullable"])
    raise _Bad(f"{where} is not a dtype this planner knows")


def _frame(value: Json, where: str) -> pd.DataFrame:
    data = _keys(value, ("rows", "labels", "columns"), where)
    rows = _int(data["rows"], f"{where}.rows")
    if rows < 0:
        raise _Bad(f"{where}.rows is negative")
    index = pd.RangeIndex(rows)
    names: list[str] = []
    series: list[pd.Series] = []
    for n, column in enumerate(_list(data["columns"], f"{where}.columns")):
        at = f"{where}.columns[{n}]"
        spec = _keys(column, ("name", "dtype", "values"), at)
        names.append(_text(spec["name"], f"{at}.name"))
        if not isinstance(spec["dtype"], dict):
            raise _Bad(f"{at}.dtype is not a dtype")
        dtype = _dtype(spec["dtype"], f"{at}.dtype")
        values = _list(spec["values"], f"{at}.values")
        if len(values) != rows:
            raise _Bad(f"{at} has {len(values)} values for {rows} rows")
        try:
            series.append(pd.Series(_cells(values, spec["dtype"], at), index=index, dtype=dtype))
        except (OverflowError, TypeError, ValueError) as error:
            raise _Bad(f"{at} does not fit its dtype ({error})") from None
    if len(set(names)) != len(names):
        raise _Bad(f"{where} has a column name twice")
    frame = pd.DataFrame(dict(enumerate(series)), index=index)
    frame.columns = pd.Index(names, dtype=_dtype(data["labels"], f"{where}.labels"))
    return frame


def _cells(values: list[Json], dtype: dict[str, Json], where: str) -> list[Json]:
    """The column's values, checked against its dtype, NaN and infinities back as floats."""
    if "string" in dtype:
        return [_maybe(value, _text, where) for value in values]
    if "nullable" in dtype:
        read_masked = _flag if dtype["nullable"] == "boolean" else _int
        return [_maybe(value, read_masked, where) for value in values]
    kind = np.dtype(dtype["numpy"]).kind
    if kind == "f":
        return [_read_number(value, where) for value in values]
    if kind == "b":
        return [_flag(value, where) for value in values]
    if kind in "iu":
        return [_int(value, where) for value in values]
    return [_object_cell(value, where) for value in values]


def _object_cell(value: Json, where: str) -> Json:
    if isinstance(value, dict):
        if set(value) == {"na"} and value["na"] == "NA":
            return pd.NA
        if set(value) == {"float"} and value["float"] in _FLOAT_TOKENS:
            return _FLOAT_TOKENS[value["float"]]
        raise _Bad(f"{where} holds an object this planner does not know")
    if value is None or isinstance(value, str | bool | int | float):
        return value
    raise _Bad(f"{where} holds a list")
