"""The cycler readers' toolbox, in one namespace (``from . import _common as c``).

Each piece lives in a module with one job: BDF column names in :mod:`sianode.columns`,
file access in :mod:`._files`, text tables in :mod:`._tables`, units in :mod:`._units`,
times and dates in :mod:`._clock`, structure checks in :mod:`.structure`.

Every reader returns its columns already in BDF names and units (``Test Time / s``,
``Voltage / V``, ``Current / A`` with BDF's sign rule: positive current charges the test
object) plus a metadata dict; :func:`sianode.io.finish` then validates the table and adds
the counters (``Cycle Count / 1``, ``Step Count / 1``) by the rules of
:mod:`sianode.io.counters`.
"""

from __future__ import annotations

from ..columns import (
    CHG_CAP,
    CHG_E,
    CURRENT,
    CYCLE,
    DCHG_CAP,
    DCHG_E,
    FREQUENCY,
    INST_CYCLE,
    INST_HALF,
    INST_STEP,
    REQUIRED,
    STEP,
    STEP_INDEX,
    STEP_TIME,
    TEMP,
    TIME,
    UNIX,
    VOLTAGE,
)
from ..errors import ParsingError
from ._clock import (
    ascii_integers,
    epoch_seconds,
    fixed_width_bytes,
    hms_to_seconds,
    to_unix,
)
from ._files import TextLines, base_metadata, decode_text, fail, read_bytes, text_bytes
from ._tables import (
    Columns,
    LazyColumn,
    column_values,
    n_rows,
    numeric,
    parse_csv_subset,
    parse_csv_text,
)
from ._units import (
    CAPACITY_UNITS,
    CURRENT_UNITS,
    ENERGY_UNITS,
    TIME_UNITS,
    VOLTAGE_UNITS,
    fix_capacity_unit,
    quantity_column,
    split_label,
    unit_factor,
)

__all__ = [
    "CAPACITY_UNITS",
    "CHG_CAP",
    "CHG_E",
    "CURRENT",
    "CURRENT_UNITS",
    "CYCLE",
    "Columns",
    "LazyColumn",
    "DCHG_CAP",
    "DCHG_E",
    "ENERGY_UNITS",
    "FREQUENCY",
    "INST_CYCLE",
    "INST_HALF",
    "INST_STEP",
    "ParsingError",
    "REQUIRED",
    "STEP",
    "STEP_INDEX",
    "STEP_TIME",
    "TEMP",
    "TIME",
    "TIME_UNITS",
    "TextLines",
    "UNIX",
    "VOLTAGE",
    "VOLTAGE_UNITS",
    "ascii_integers",
    "base_metadata",
    "column_values",
    "decode_text",
    "epoch_seconds",
    "fail",
    "fix_capacity_unit",
    "fixed_width_bytes",
    "hms_to_seconds",
    "n_rows",
    "numeric",
    "parse_csv_subset",
    "parse_csv_text",
    "quantity_column",
    "read_bytes",
    "split_label",
    "text_bytes",
    "to_unix",
    "unit_factor",
]
