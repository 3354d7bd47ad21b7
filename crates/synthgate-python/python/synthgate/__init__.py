"""Synthgate: governed synthetic data from Python.

The same engine as the ``synthgate`` command line, with tables in and out:

>>> import synthgate as sg
>>> train = sg.read_table("adult_train.csv", na=["?"])      # Synthgate's own reader
>>> model = sg.fit(train, synthesizer="cart", seed=7)
>>> synth = model.sample(10_000, seed=1, where={"sex": "Female"})
>>> report = sg.evaluate(train, holdout, synth, target="income", sensitive=["sex", "race"])
>>> report["fidelity.column_shapes"].value, report["fidelity.column_shapes"].ci

Tables may be pandas, polars or pyarrow tables (or anything with ``__arrow_c_stream__``);
results come back as the type the call was given (``sg.read_table`` and ``load_model``'s
models return pandas when it is installed, else pyarrow; ``to=`` chooses). pandas frames come
back backed by Arrow types (``pd.ArrowDtype``), so integers with missing values stay integers
and a frame round-trips without change.

Errors are exceptions of a small hierarchy under :class:`SynthgateError`, one per kind of
failure, each message naming the file, table, row and column where there is one:
:class:`UsageError`, :class:`InputError`, :class:`SpecError`, :class:`GateFailed`,
:class:`VerificationFailed`, :class:`EnvironmentFailed`, :class:`InternalError`.

Long calls release the GIL, and several may run at once from different threads. Ctrl-C (a
``KeyboardInterrupt``) returns at once, and the request, told to stop, writes nothing (it
computes on in a background thread until its next step, at most one step of the work).

Progress: with ``progress=True`` (the default in a terminal and in a Jupyter notebook) a long
call keeps one line on standard error up to date with its step, its counted work and the time
so far; ``progress=False`` keeps it silent; a callable hears each step's name instead. Nothing
else is ever printed.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence, Union

import pyarrow as pa

from . import _native
from ._native import (
    EnvironmentFailed,
    GateFailed,
    InputError,
    InternalError,
    SpecError,
    SynthgateError,
    UsageError,
    VerificationFailed,
)

__version__: str = _native.__version__
API_VERSION: int = _native.api_version()

__all__ = [
    "API_VERSION",
    "EnvironmentFailed",
    "GateFailed",
    "InputError",
    "InternalError",
    "Metric",
    "Model",
    "Release",
    "Report",
    "Schema",
    "SpecError",
    "SynthgateError",
    "UsageError",
    "VerificationFailed",
    "approve",
    "audit_verify",
    "drift",
    "evaluate",
    "fit",
    "generate",
    "keygen",
    "load_model",
    "profile",
    "read_table",
    "registry",
    "run",
    "synthesizers",
    "verify",
    "write_table",
]

PathLike = Union[str, "os.PathLike[str]"]
Progress = Union[None, bool, Callable[[str], Any]]


# ---------------------------------------------------------------------------------------------
# Frames in and out.


def _kind(data: Any) -> str:
    """The frame library of ``data``: "pandas", "polars" or "pyarrow"."""
    module = type(data).__module__.split(".")[0]
    if module == "pandas":
        return "pandas"
    if module == "polars":
        return "polars"
    return "pyarrow"


_NA_KEY = "synthgate.na_tokens"
_MISSING_KEY = b"synthgate.missing_token"


def _to_arrow(data: Any, argument: str) -> Any:
    """``data`` as an object the extension reads through the Arrow C stream interface. A
    pandas frame's Synthgate attributes (``sg.read_table``'s missing-value tokens) go back
    into the Arrow fields they came from."""
    kind = type(data).__module__.split(".")[0]
    if kind == "pandas":
        import pandas as pd

        if not isinstance(data, pd.DataFrame):
            raise UsageError(f"usage error: {argument}: expected a DataFrame, not {type(data).__name__}.")
        # The index is not data: a frame's rows are its columns' values.
        table = pa.Table.from_pandas(data, preserve_index=False)
        missing = data.attrs.get("synthgate.missing_tokens") or {}
        if missing:
            fields = [
                field.with_metadata({_MISSING_KEY: missing[field.name].encode()})
                if field.name in missing
                else field
                for field in table.schema
            ]
            table = table.cast(pa.schema(fields))
        return table
    if kind == "polars":
        return data.to_arrow()
    if isinstance(data, (pa.Table, pa.RecordBatchReader)) or hasattr(data, "__arrow_c_stream__"):
        return data
    raise UsageError(
        f"usage error: {argument}: expected a pandas, polars or pyarrow table, not "
        f"{type(data).__name__}."
    )


def _frame_na(data: Any) -> Optional[list]:
    """The missing-value tokens ``sg.read_table`` recorded on a frame, if any."""
    if type(data).__module__.split(".")[0] == "pandas":
        tokens = getattr(data, "attrs", {}).get(_NA_KEY)
        return None if tokens is None else list(tokens)
    if isinstance(data, pa.Table) and data.schema.metadata and _NA_KEY.encode() in data.schema.metadata:
        return json.loads(data.schema.metadata[_NA_KEY.encode()])
    return None


def _na_for(data: Any, na: Union[None, str, Iterable[str]]) -> list:
    """The tokens a call uses: those given, else those the frame was read with, else none."""
    if na is not None:
        return _na(na)
    return _frame_na(data) or []


def _from_arrow(table: pa.Table, kind: str, na_tokens: Optional[list] = None) -> Any:
    """``table`` as a frame of library ``kind``, carrying the missing-value tokens (pandas:
    ``attrs``; pyarrow: schema metadata) so Synthgate reads it back as it was."""
    if kind == "pandas":
        import pandas as pd

        frame = table.to_pandas(types_mapper=pd.ArrowDtype)
        missing = {
            field.name: field.metadata[_MISSING_KEY].decode()
            for field in table.schema
            if field.metadata and _MISSING_KEY in field.metadata
        }
        if missing:
            frame.attrs["synthgate.missing_tokens"] = missing
        if na_tokens is not None:
            frame.attrs[_NA_KEY] = list(na_tokens)
        return frame
    if kind == "polars":
        import polars as pl

        return pl.from_arrow(table)
    if kind == "pyarrow":
        if na_tokens is not None:
            metadata = dict(table.schema.metadata or {})
            metadata[_NA_KEY.encode()] = json.dumps(list(na_tokens)).encode()
            table = table.replace_schema_metadata(metadata)
        return table
    raise UsageError(f"usage error: to= must be 'pandas', 'polars' or 'pyarrow', not {kind!r}.")


def _default_kind() -> str:
    try:
        import pandas  # noqa: F401
    except ImportError:
        return "pyarrow"
    return "pandas"


def _in_notebook() -> bool:
    """Whether this is a Jupyter (IPython kernel) process, whose cells show standard error."""
    return "ipykernel" in sys.modules


class _Reporter:
    """What a request reports while it works: each step's name to a callable, or one line on
    standard error rewritten in place (a terminal and a notebook both honour the carriage
    return) with the step, its counted work and the time so far; a newline once it ends."""

    def __init__(self, progress: Progress) -> None:
        if progress is None:
            progress = (sys.stderr is not None and sys.stderr.isatty()) or _in_notebook()
        self._callback = progress if callable(progress) else None
        self._live = bool(progress) and self._callback is None
        self._started = time.monotonic()
        self._step = ""
        self._width = 0
        self._stopped = False
        self._lock = threading.Lock()

    def native(self) -> Optional["_Reporter"]:
        """The object the engine reports to, or None when nobody listens."""
        return self if (self._callback is not None or self._live) else None

    def __call__(self, step: str) -> None:
        if self._stopped:
            return
        if self._callback is not None:
            self._callback(step)
            return
        with self._lock:
            self._step = step
            self._show(step)

    def count(self, done: int, total: int, unit: str) -> None:
        """The current step's counted work (``unit``: ``"bytes"`` or what is counted)."""
        if self._stopped or self._callback is not None or total <= 0:
            return
        with self._lock:
            if unit == "bytes":
                amount = f"{done / 1e6:.1f}/{total / 1e6:.1f} MB"
            else:
                amount = f"{done:,}/{total:,} {unit}"
            self._show(f"{self._step} {amount} ({100 * done // total}%)")

    def _show(self, text: str) -> None:
        line = f"synthgate: {text} [{time.monotonic() - self._started:.1f} s]"
        pad = max(0, self._width - len(line))
        self._width = len(line)
        try:
            sys.stderr.write("\r" + line + " " * pad)
            sys.stderr.flush()
        except (OSError, ValueError):  # a closed stream must not fail the work
            pass

    def stop(self) -> None:
        """Hear nothing more: the request was interrupted, the caller has moved on."""
        self._stopped = True

    def close(self) -> None:
        if self._live and self._width:
            try:
                sys.stderr.write("\n")
                sys.stderr.flush()
            except (OSError, ValueError):
                pass


# Requests stopped by Ctrl-C that are still reaching their next step (they write nothing):
# each one's "finished" event.
_stopping: list = []


def _wait_for_stopping() -> None:
    """Wait until every request stopped by Ctrl-C has finished stopping."""
    for finished in list(_stopping):
        finished.wait()
    _stopping[:] = [f for f in _stopping if not f.is_set()]


atexit.register(_wait_for_stopping)


def _interruptible(function: Callable[..., Any], *args: Any, progress: Progress) -> Any:
    """Call ``function(*args, progress=reporter, cancel=token)`` in a worker thread and wait
    for it here, so that Ctrl-C (``KeyboardInterrupt``) in this thread returns at once: the
    request is told to stop, and stops at its next step, writing nothing."""
    reporter = _Reporter(progress)
    token = _native.CancelToken()
    outcome: dict = {}
    # An event, not Thread.join: a join interrupted by KeyboardInterrupt can leave the thread
    # looking finished while it still runs.
    finished = threading.Event()

    def work() -> None:
        try:
            outcome["value"] = function(*args, progress=reporter.native(), cancel=token)
        except BaseException as error:  # handed to the waiting thread
            outcome["error"] = error
        finally:
            finished.set()

    threading.Thread(target=work, name="synthgate-request", daemon=True).start()
    try:
        while not finished.wait(0.05):
            pass
    except BaseException:
        token.cancel()
        reporter.stop()
        _stopping.append(finished)
        raise
    finally:
        reporter.close()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _na(na: Union[str, Iterable[str]]) -> list:
    return [na] if isinstance(na, str) else list(na)


# ---------------------------------------------------------------------------------------------
# Schemas.


class Schema:
    """A table's schema: each column's storage type, semantic type and privacy role (and any
    bounds, categories, missing-value token), as the TOML file ``synthgate inspect
    --schema-out`` writes. ``sg.fit`` and ``sg.evaluate`` take it with ``schema=``.

    Editable: ``schema.column("age")["role"] = "quasi_identifier"``, or edit ``columns``
    (a list of dicts, the TOML's ``[[columns]]``); every change is checked when the schema is
    used or written. ``to_toml()`` / ``Schema.from_toml(text)`` / ``save`` / ``load`` round-trip
    it; ``Schema.from_sdv_metadata(metadata)`` reads SDV's metadata.
    """

    def __init__(self, toml: str) -> None:
        self._data: dict = json.loads(_native.schema_to_json(toml))

    @classmethod
    def from_toml(cls, text: str) -> "Schema":
        """The schema in TOML ``text``."""
        return cls(text)

    @classmethod
    def _of(cls, data: dict) -> "Schema":
        schema = cls.__new__(cls)
        schema._data = data
        return schema

    @classmethod
    def load(cls, path: PathLike) -> "Schema":
        """The schema in the TOML file at ``path``."""
        return cls(Path(path).read_text(encoding="utf-8"))

    @property
    def columns(self) -> list:
        """The columns, in order: dicts with name, storage, semantic, role and the optional
        min, max, categories, missing_token, decimals, point_masses, rare."""
        return self._data["columns"]

    @property
    def na_tokens(self) -> list:
        """The texts read as missing values."""
        return self._data.setdefault("na_tokens", [])

    def column(self, name: str) -> dict:
        """The column called ``name`` (a dict to edit in place)."""
        for column in self.columns:
            if column["name"] == name:
                return column
        names = ", ".join(c["name"] for c in self.columns)
        raise KeyError(f"no column {name!r} in this schema; it has: {names}")

    def to_toml(self) -> str:
        """The schema as TOML text, checked."""
        return _native.schema_from_json(json.dumps(self._data))

    def save(self, path: PathLike, *, force: bool = False) -> None:
        """Write the schema as TOML to ``path`` (refused if it exists, unless ``force``)."""
        _write_text(Path(path), self.to_toml(), force)

    @classmethod
    def from_sdv_metadata(cls, metadata: Any, *, table: Optional[str] = None, data: Any = None) -> "Schema":
        """A schema from SDV's metadata: a ``Metadata`` / ``SingleTableMetadata`` object, its
        dict, or the path of its JSON file; the multi-table form names its table with
        ``table`` (not needed with one table).

        sdtypes map to semantic types: numerical to integer (whole-number representation or
        0 decimal places) or continuous, categorical and ordinal to categorical, boolean,
        datetime to date or datetime by its ``datetime_format`` (a zone, ``%z``, makes it UTC),
        the primary key, ``id`` and the PII sdtypes (email, phone_number, ...) or ``pii:
        true`` to identifiers (direct identifiers: regenerated, never copied). SDV's ranges are
        learned from the data, so they are not taken as bounds. With ``data`` (the table the
        metadata describes), each column's storage type comes from the data, and its privacy
        role and missing-value token from profiling it (SDV's metadata has neither); without,
        roles are "none": mark quasi-identifiers before evaluating privacy.
        """
        meta = _sdv_dict(metadata, table)
        columns_meta = meta.get("columns")
        if not isinstance(columns_meta, dict) or not columns_meta:
            raise SpecError("spec error: the SDV metadata has no columns.")
        primary = meta.get("primary_key")
        profiled = None
        types: dict = {}
        if data is not None:
            arrow = _to_arrow(data, "data")
            arrow = arrow if isinstance(arrow, pa.Table) else pa.table(arrow)
            types = {field.name: field.type for field in arrow.schema}
            profiled = profile(data)
            missing = [name for name in columns_meta if name not in types]
            if missing:
                raise SpecError(f"spec error: the SDV metadata names columns the data lacks: {', '.join(missing)}.")
        columns = []
        for name, column in columns_meta.items():
            entry = _sdv_column(name, column, name == primary, types.get(name))
            if profiled is not None:
                found = profiled.column(name)
                if entry["role"] == "none":
                    entry["role"] = found["role"]
                if "missing_token" in found:
                    entry["missing_token"] = found["missing_token"]
            columns.append(entry)
        data_dict = {"format_version": 1, "na_tokens": list(profiled.na_tokens) if profiled else [], "columns": columns}
        schema = cls._of(data_dict)
        schema.to_toml()  # checked now, not at first use
        return schema

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schema) and other._data == self._data

    def __repr__(self) -> str:
        return f"Schema(<{len(self.columns)} columns>)"


# SDV's sdtypes of personal data (its PII types): identifiers, never modelled as values.
_SDV_PII = {
    "address", "administrative_unit", "city", "country_code", "email", "first_name",
    "full_name", "iban", "ipv4_address", "ipv6_address", "last_name", "license_plate",
    "mac_address", "name", "phone_number", "postcode", "ssn", "street_address", "swift11",
    "swift8", "vin",
}


def _sdv_dict(metadata: Any, table: Optional[str]) -> dict:
    """One table's SDV metadata as a dict (``columns``, ``primary_key``)."""
    if isinstance(metadata, (str, os.PathLike)):
        metadata = json.loads(Path(metadata).read_text(encoding="utf-8"))
    elif hasattr(metadata, "to_dict"):
        metadata = metadata.to_dict()
    if not isinstance(metadata, dict):
        raise UsageError(f"usage error: metadata: expected SDV's metadata (an object, a dict or a JSON file), not {type(metadata).__name__}.")
    tables = metadata.get("tables")
    if tables is None:
        return metadata
    if table is None:
        if len(tables) != 1:
            raise UsageError(f"usage error: the SDV metadata has {len(tables)} tables ({', '.join(tables)}); name one with table=.")
        table = next(iter(tables))
    if table not in tables:
        raise UsageError(f"usage error: the SDV metadata has no table {table!r}; it has: {', '.join(tables)}.")
    return tables[table]


def _storage_of(arrow_type: Any) -> Optional[str]:
    if arrow_type is None:
        return None
    if pa.types.is_integer(arrow_type):
        return "int64"
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "float64"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_date(arrow_type):
        return "date"
    if pa.types.is_timestamp(arrow_type):
        return "timestamp_utc" if arrow_type.tz else "timestamp"
    if pa.types.is_dictionary(arrow_type):
        return _storage_of(arrow_type.value_type)
    return "string"


def _sdv_column(name: str, meta: dict, primary: bool, arrow_type: Any) -> dict:
    """One column of a schema from one column of SDV's metadata."""
    sdtype = meta.get("sdtype")
    data_storage = _storage_of(arrow_type)
    role = "none"
    if primary or sdtype == "id" or sdtype in _SDV_PII or meta.get("pii"):
        semantic, storage, role = "identifier", data_storage or "string", "direct_identifier"
    elif sdtype == "numerical":
        representation = str(meta.get("computer_representation", ""))
        whole = representation.lower().startswith(("int", "uint")) or meta.get("decimal_places") == 0
        storage = data_storage if data_storage in ("int64", "float64") else ("int64" if whole else "float64")
        semantic = "integer" if storage == "int64" or whole else "continuous"
    elif sdtype in ("categorical", "ordinal"):
        semantic, storage = "categorical", data_storage or "string"
    elif sdtype == "boolean":
        semantic, storage = "boolean", "boolean"
    elif sdtype == "datetime":
        fmt = str(meta.get("datetime_format", ""))
        timed = any(code in fmt for code in ("%H", "%I", "%M", "%S", "%f", "%p", "%X", "%c")) or not fmt
        if data_storage in ("date", "timestamp", "timestamp_utc"):
            storage = data_storage
        elif timed:
            storage = "timestamp_utc" if ("%z" in fmt or "%Z" in fmt) else "timestamp"
        else:
            storage = "date"
        semantic = "date" if storage == "date" else "datetime"
    else:
        raise SpecError(f"spec error: column {name!r}: SDV sdtype {sdtype!r} has no Synthgate semantic type; set it in the schema.")
    return {"name": name, "storage": storage, "semantic": semantic, "role": role}


def _schema_text(schema: Union[None, Schema, str, PathLike]) -> Optional[str]:
    if schema is None:
        return None
    if isinstance(schema, Schema):
        return schema.to_toml()
    if isinstance(schema, str) and "[[columns]]" in schema:
        return schema
    return Path(schema).read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Tables.


def read_table(
    path: PathLike,
    *,
    na: Union[str, Iterable[str]] = (),
    schema: Union[None, Schema, str, PathLike] = None,
    to: Optional[str] = None,
) -> Any:
    """Read a CSV or Parquet file with Synthgate's own reader (the CLI's), returning a frame.

    ``na`` adds missing-value tokens (e.g. ``"?"``); ``schema`` reads the columns as a schema
    says; ``to`` is "pandas" (default when installed), "polars" or "pyarrow". Types are
    inferred as the CLI infers them, so fitting on the frame gives the CLI's model.
    """
    table, tokens = _native.read_table(os.fspath(path), _na(na), _schema_text(schema))
    return _from_arrow(table, to or _default_kind(), tokens)


def write_table(data: Any, path: PathLike, *, force: bool = False) -> None:
    """Write a frame as CSV or Parquet (by the extension) with Synthgate's own writers, which
    give the CLI's bytes. Refuses to replace an existing file unless ``force``."""
    _native.write_table(_to_arrow(data, "data"), os.fspath(path), force)


def profile(data: Any, *, na: Union[None, str, Iterable[str]] = None) -> Schema:
    """The schema profiling proposes for a table: storage and semantic types, identifiers,
    quasi-identifiers. Check it, edit it, and pass it to ``fit`` as ``schema=``."""
    return Schema(_native.profile(_to_arrow(data, "data"), _na_for(data, na)))


# ---------------------------------------------------------------------------------------------
# Models.


class Model:
    """A fitted synthesizer. ``sample`` draws rows; ``save`` writes the model file the CLI
    writes (``synthgate sample MODEL`` reads it, and ``load_model`` reads the CLI's)."""

    def __init__(self, native: Any, kind: str, na_tokens: Optional[list] = None) -> None:
        self._native = native
        self._kind = kind
        self._na_tokens = na_tokens

    @property
    def synthesizer(self) -> str:
        """The synthesizer's name."""
        return self._native.synthesizer

    @property
    def seed(self) -> int:
        """The seed it was fitted with, and samples with by default."""
        return self._native.seed

    @property
    def training_rows(self) -> int:
        """The rows it was fitted on."""
        return self._native.training_rows

    @property
    def warnings(self) -> list:
        """What the fit wants you to know (columns left out, categories pooled)."""
        return list(self._native.warnings)

    @property
    def schema(self) -> Schema:
        """The schema it was fitted under."""
        return Schema(self._native.schema)

    @property
    def privacy(self) -> Optional[dict]:
        """A differentially private model's statement (ε, δ, ρ, unit), else None."""
        text = self._native.privacy
        return None if text is None else json.loads(text)

    def sample(
        self,
        rows: int,
        *,
        seed: Optional[int] = None,
        where: Optional[Mapping[str, Any]] = None,
        to: Optional[str] = None,
        progress: Progress = None,
    ) -> Any:
        """Sample ``rows`` rows from stream ``seed`` (default: the model's seed).

        ``where`` fixes categorical columns (``{"sex": "Female"}``): every row has those
        values, drawn from the model's conditional distribution (synthesizers ``cart`` and
        ``independent``). The same model, rows and seed give the same rows on any machine and
        thread count. Returns the frame type the model was fitted on, or ``to``.
        """
        if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
            raise UsageError(f"usage error: rows must be a whole number of at least 1, not {rows!r}.")
        conditions = [(str(k), _value_text(v)) for k, v in (where or {}).items()]
        table = _interruptible(self._native.sample, rows, seed, conditions, progress=progress)
        return _from_arrow(table, to or self._kind, self._na_tokens)

    def to_bytes(self) -> bytes:
        """The model file's bytes."""
        return self._native.to_bytes()

    def save(self, path: PathLike, *, force: bool = False) -> None:
        """Write the model file (JSON) to ``path``; refused if it exists, unless ``force``."""
        target = Path(path)
        if target.exists() and not force:
            raise UsageError(f"usage error: {target}: the file exists; pass force=True to replace it.")
        temporary = target.with_name(f".{target.name}.synthgate-tmp-{os.getpid()}")
        temporary.write_bytes(self.to_bytes())
        os.replace(temporary, target)

    def __repr__(self) -> str:
        return f"Model(synthesizer={self.synthesizer!r}, seed={self.seed}, training_rows={self.training_rows})"


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def load_model(path: PathLike, *, to: Optional[str] = None) -> Model:
    """A model from a model file (``Model.save``'s or ``synthgate fit``'s). Its samples come
    back as ``to`` ("pandas" when installed, else "pyarrow")."""
    target = Path(path)
    try:
        data = target.read_bytes()
    except FileNotFoundError:
        raise InputError(f"input data error: {target}: the model file does not exist.") from None
    return Model(_native.NativeModel.from_bytes(data, os.fspath(target)), to or _default_kind())


def fit(
    data: Any,
    *,
    synthesizer: str = "cart",
    seed: int = 0,
    schema: Union[None, Schema, str, PathLike] = None,
    params: Optional[Mapping[str, Any]] = None,
    na: Union[None, str, Iterable[str]] = None,
    min_category_count: int = 10,
    tail_count: int = 10,
    epsilon: Optional[float] = None,
    delta: Optional[float] = None,
    progress: Progress = None,
) -> Model:
    """Fit ``synthesizer`` on a table (pandas, polars or pyarrow) and return the model.

    - ``synthesizer``: "cart" (default), "gaussian_copula", "independent", or "mst"
      (differentially private: needs ``epsilon`` and a schema whose domains are public);
      ``synthesizers()`` lists them.
    - ``seed``: the same data, schema and seed give the same model, byte for byte.
    - ``schema``: a :class:`Schema`, TOML text or a schema file (default: profiled).
    - ``params``: the synthesizer's settings, e.g. ``{"min_leaf": 50}`` for cart.
    - ``min_category_count`` / ``tail_count``: the privacy protections (rare categories not
      reproduced, extremes clipped; a column with few present values less deep, its two tails
      at most a fifth of them), as ``synthgate fit``.
    """
    parameters = [(str(k), _value_text(v)) for k, v in (params or {}).items()]
    native = _interruptible(
        _native.fit,
        _to_arrow(data, "data"),
        _na_for(data, na),
        synthesizer,
        parameters,
        _seed(seed),
        min_category_count,
        tail_count,
        _schema_text(schema),
        epsilon,
        delta,
        progress=progress,
    )
    return Model(native, _kind(data), _na_for(data, na))


def _seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise UsageError(f"usage error: seed must be a whole number of at least 0, not {seed!r}.")
    return seed


# ---------------------------------------------------------------------------------------------
# Evaluation.


@dataclass(frozen=True)
class Metric:
    """One metric of a report: its value, 95% interval (``ci``), what real data the generator
    never saw scores (``holdout_reference``), its status band and its definition."""

    id: str
    value: float
    ci: Optional[tuple]
    holdout_reference: Optional[float]
    status: Optional[str]
    definition: str
    details: Any

    @classmethod
    def _of(cls, raw: Mapping[str, Any], status: Optional[str]) -> "Metric":
        low, high = raw.get("ci_low"), raw.get("ci_high")
        return cls(
            id=raw["id"],
            value=raw["value"],
            ci=None if low is None or high is None else (low, high),
            holdout_reference=raw.get("holdout_reference"),
            status=status,
            definition=raw.get("definition", ""),
            details=raw.get("details"),
        )


class Report:
    """An evaluation's report: ``report["fidelity.column_shapes"]`` is a :class:`Metric`;
    ``to_pandas()`` is the table of every metric; ``save_html(path)`` writes report.html (it
    also displays inline in Jupyter); ``save(folder)`` writes report.json and report.html as
    ``synthgate evaluate`` does."""

    def __init__(self, native: Any) -> None:
        self._native = native
        self._json: str = native.json()
        self.data: dict = json.loads(self._json)
        statuses = dict(native.statuses())
        self.metrics: dict = {
            m["id"]: Metric._of(m, statuses.get(m["id"])) for m in self.data.get("metrics", [])
        }

    @property
    def warnings(self) -> list:
        """What the evaluation wants you to know."""
        return list(self.data.get("warnings", []))

    def __getitem__(self, metric_id: str) -> Metric:
        try:
            return self.metrics[metric_id]
        except KeyError:
            raise KeyError(
                f"no metric {metric_id!r} in this report; it has: {', '.join(self.metrics)}"
            ) from None

    def __contains__(self, metric_id: object) -> bool:
        return metric_id in self.metrics

    def __iter__(self):
        return iter(self.metrics.values())

    def __len__(self) -> int:
        return len(self.metrics)

    def to_json(self) -> str:
        """report.json's text, as ``synthgate evaluate`` writes it."""
        return self._json

    def to_html(self) -> str:
        """report.html's text: one self-contained page."""
        return self._native.html()

    def _repr_html_(self) -> str:
        return self.to_html()

    def save_html(self, path: PathLike, *, force: bool = False) -> None:
        """Write report.html to ``path`` (refused if it exists, unless ``force``)."""
        _write_text(Path(path), self.to_html(), force)

    def save(self, folder: PathLike, *, force: bool = False) -> None:
        """Write report.json and report.html into ``folder``."""
        target = Path(folder)
        target.mkdir(parents=True, exist_ok=True)
        _write_text(target / "report.json", self._json, force)
        _write_text(target / "report.html", self.to_html(), force)

    def to_pandas(self) -> Any:
        """Every metric as a pandas DataFrame: id, value, ci_low, ci_high, holdout_reference,
        status, definition."""
        import pandas as pd

        rows = [
            {
                "id": m.id,
                "value": m.value,
                "ci_low": None if m.ci is None else m.ci[0],
                "ci_high": None if m.ci is None else m.ci[1],
                "holdout_reference": m.holdout_reference,
                "status": m.status,
                "definition": m.definition,
            }
            for m in self.metrics.values()
        ]
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return f"Report(<{len(self.metrics)} metrics>)"


def _write_text(path: Path, text: str, force: bool) -> None:
    if path.exists() and not force:
        raise UsageError(f"usage error: {path}: the file exists; pass force=True to replace it.")
    temporary = path.with_name(f".{path.name}.synthgate-tmp-{os.getpid()}")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def evaluate(
    train: Any,
    holdout: Any,
    synthetic: Any,
    *,
    target: Optional[str] = None,
    sensitive: Sequence[str] = (),
    secret: Optional[str] = None,
    seed: int = 0,
    resamples: Optional[int] = None,
    min_group_rows: Optional[int] = None,
    attacks: Optional[int] = None,
    schema: Union[None, Schema, str, PathLike] = None,
    na: Union[None, str, Iterable[str]] = None,
    progress: Progress = None,
) -> Report:
    """Score ``synthetic`` against ``train`` (the rows it was fitted on) and ``holdout`` (real
    rows it never saw): fidelity, utility (with ``target``), privacy risk and subgroup
    fidelity (per ``sensitive`` attribute), each with a 95% interval and the holdout's own
    score as the reference. The tables may come from any tool. Same tables, schema and seed
    give the metrics ``synthgate evaluate`` gives. ``attacks`` (default 2000, at least 100) is
    how many rows the linkability and inference attacks target on each side, as the CLI's
    ``--attacks``: more narrows their risks' intervals at a proportional cost in time.
    """
    if attacks is not None and (isinstance(attacks, bool) or not isinstance(attacks, int) or attacks < 100):
        raise UsageError(f"usage error: attacks must be a whole number of at least 100, not {attacks!r}.")
    native = _interruptible(
        _native.evaluate,
        _to_arrow(train, "train"),
        _to_arrow(holdout, "holdout"),
        _to_arrow(synthetic, "synthetic"),
        _na_for(train, na),
        target,
        [str(s) for s in ([sensitive] if isinstance(sensitive, str) else sensitive)],
        min_group_rows,
        secret,
        _seed(seed),
        resamples,
        attacks,
        _schema_text(schema),
        progress=progress,
    )
    return Report(native)


# ---------------------------------------------------------------------------------------------
# Governed releases: the engine's requests and outcomes, as JSON.


def _call(verb: str, request: Any, home: Optional[PathLike], progress: Progress = False) -> Any:
    text = _interruptible(
        _native.call,
        verb,
        json.dumps(request),
        None if home is None else os.fspath(home),
        progress=progress,
    )
    return json.loads(text)


def _path(value: Optional[PathLike]) -> Optional[str]:
    return None if value is None else os.fspath(value)


class Release(dict):
    """What ``run`` made: the engine's outcome (``bundle``, ``releasable``, ``gates``,
    ``registry_id``, ``manifest_sha256``, ...), readable as keys or attributes."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def run(
    spec: PathLike,
    *,
    out: Optional[PathLike] = None,
    force: bool = False,
    operator_key: Optional[PathLike] = None,
    home: Optional[PathLike] = None,
    check: bool = True,
    progress: Progress = None,
) -> Release:
    """Run a release pipeline (``pipeline.toml``) into a bundle, as ``synthgate run``.

    ``home`` is the workspace (audit log, registry, operator key; default
    ``$SYNTHGATE_HOME`` or ``.synthgate`` in the working directory). When a gate fails the
    bundle is still written, marked not releasable, and :class:`GateFailed` is raised with the
    release as ``error.release`` (``check=False`` returns it instead).
    """
    request = {"spec": os.fspath(spec), "out": _path(out), "force": force, "operator_key": _path(operator_key)}
    release = Release(_call("run", request, home, progress))
    if check and not release["releasable"]:
        failed = [g for g in release["gates"] if g.get("outcome") == "fail"]
        names = ", ".join(f"{g['metric']}" for g in failed)
        error = GateFailed(
            f"policy gate failed: the release is not releasable: {len(failed)} gate(s) failed: "
            f"{names}. The bundle at {release['bundle']} is marked so."
        )
        error.release = release
        raise error
    return release


def verify(
    bundle: PathLike,
    *,
    reproduce: bool = False,
    require_approved: bool = False,
    trust_operators: Sequence[str] = (),
    trust_file: Optional[PathLike] = None,
    trust_registry: bool = True,
    home: Optional[PathLike] = None,
    progress: Progress = None,
) -> dict:
    """Verify a bundle (digests, signatures, the decision chain; with ``reproduce``, the data
    again byte for byte), as ``synthgate verify``. Raises :class:`VerificationFailed` when it
    does not verify; returns the findings (``verification``, ``status``)."""
    request = {
        "bundle": os.fspath(bundle),
        "reproduce": reproduce,
        "require_approved": require_approved,
        "trust": {"operators": list(trust_operators), "file": _path(trust_file), "registry": trust_registry},
    }
    return _call("verify", request, home, progress)


def approve(
    bundle: PathLike,
    *,
    role: str,
    key: PathLike,
    reject: bool = False,
    comment: str = "",
    home: Optional[PathLike] = None,
) -> dict:
    """Sign a decision (approve, or ``reject=True``) on a bundle for ``role`` with the secret
    key file ``key``, as ``synthgate approve``."""
    request = {"bundle": os.fspath(bundle), "role": role, "key": os.fspath(key), "reject": reject, "comment": comment}
    return _call("approve", request, home)


def keygen(out: PathLike, *, home: Optional[PathLike] = None) -> dict:
    """Make a signing key pair: the secret key at ``out``; returns its ``fingerprint`` (for
    ``[[policy.approvers]]`` or a trust file)."""
    return _call("keygen", os.fspath(out), home)


def drift(
    bundle: PathLike,
    new_data: PathLike,
    *,
    json_out: Optional[PathLike] = None,
    force: bool = False,
    home: Optional[PathLike] = None,
    progress: Progress = None,
) -> dict:
    """Compare a new real snapshot with the statistics a release recorded about its source,
    and re-decide its gates, as ``synthgate drift``; returns the drift report."""
    request = {"bundle": os.fspath(bundle), "new_data": os.fspath(new_data), "json": _path(json_out), "force": force}
    return _call("drift", request, home, progress)


def generate(
    spec: PathLike,
    *,
    out: PathLike,
    log: Optional[PathLike] = None,
    resume: bool = False,
    force: bool = False,
    progress: Progress = None,
) -> dict:
    """Generate records with a language model from a generation spec, as ``synthgate
    generate``: the table at ``out``, every response in the log. Returns the summary."""
    request = {"spec": os.fspath(spec), "out": os.fspath(out), "log": _path(log), "resume": resume, "force": force}
    return _call("generate", request, None, progress)


def audit_verify(*, home: Optional[PathLike] = None) -> dict:
    """Verify the workspace's hash-chained audit log, as ``synthgate audit verify``."""
    return _call("audit_verify", None, home)


def synthesizers() -> list:
    """The synthesizers ``fit`` can use, with what each supports."""
    return _call("synthesizers", None, None)


class _Registry:
    """The workspace's registry of releases: ``list()``, ``show(id)``, ``lineage(source)``,
    ``budget(dataset_id)`` (each takes ``home=``)."""

    def list(self, *, home: Optional[PathLike] = None) -> list:
        """Every release, oldest first."""
        return _call("registry_list", None, home)

    def show(self, release_id: int, *, home: Optional[PathLike] = None) -> dict:
        """One release: its record, gates, decisions and lineage."""
        return _call("registry_show", int(release_id), home)

    def lineage(self, source: str, *, home: Optional[PathLike] = None) -> list:
        """The releases made from a source (its sha256 or a prefix of it)."""
        return _call("registry_lineage", source, home)

    def budget(self, dataset_id: str, *, home: Optional[PathLike] = None) -> dict:
        """The privacy budget a dataset's differentially private releases spent."""
        return _call("registry_budget", dataset_id, home)


registry = _Registry()
