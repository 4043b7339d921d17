"""The numpy path behind ``sianode cycles --json`` (issue 17): the same numbers as the
DataFrame API, without importing pandas.

``cycle_table`` is ``cycle_table_columns`` as a DataFrame, so both give one table by
construction; what is checked here is that the numpy group sums reproduce the ones pandas
computed before (``DataFrame.groupby(...).sum()``, to the last bit), and that the command
imports no pandas. The byte-for-byte comparison of the command's output on every shared
cycler file, before and after, is ``benchmarks/cycles_identical.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sianode.cycling import cycle_table, cycle_table_columns, renumber_cycles
from sianode.cycling.table import _group_sums, _kahan_sums
from sianode.io import ColumnTable, LazyColumn, read, read_columns


def _cases(seed: int = 11) -> list[tuple[np.ndarray, np.ndarray]]:
    """(labels, values): sorted and unsorted labels, with and without NaN and inf, values
    over 15 decades of both signs (where Kahan, pairwise and naive sums differ)."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(60):
        n = int(rng.integers(2, 3000))
        grp = rng.integers(0, int(rng.integers(1, 8)), n)
        if k % 2:
            grp = np.sort(grp)
        v = rng.random(n) * 10.0 ** rng.integers(-12, 3, n) * rng.choice([-1.0, 1.0], n)
        if k % 3 == 0:
            v[rng.random(n) < 0.05] = np.nan
        if k % 10 == 0:
            v[int(rng.integers(0, n))] = np.inf
        out.append((grp, v))
    return out


def _pandas_sums(grp: np.ndarray, v: np.ndarray) -> np.ndarray:
    return pd.Series(v).groupby(grp, sort=True).sum().to_numpy()


def test_kahan_sums_are_pandas_compiled_group_sum():
    """With a NaN among the values pandas (2.x and 3.x) adds with its compiled Kahan kernel;
    the Python loop gives the same floats, in sorted and unsorted groups."""
    n_kahan = 0
    for grp, v in _cases():
        if not np.isnan(v).any():
            continue
        n_kahan += 1
        order = np.argsort(grp, kind="stable")
        _, starts = np.unique(grp[order], return_index=True)
        got = np.array(_kahan_sums(v[order].tolist(), [*starts.tolist(), grp.size]))
        np.testing.assert_array_equal(got, _pandas_sums(grp, v))
    assert n_kahan >= 15


def test_group_sums_are_pandas_groupby_sums():
    for grp, v in _cases():
        labels, got = _group_sums(grp, {"x": v}, {"m": v})
        want = pd.Series(v).groupby(grp, sort=True)
        np.testing.assert_array_equal(labels, want.sum().index.to_numpy())
        np.testing.assert_array_equal(got["x"], want.sum().to_numpy())
        np.testing.assert_array_equal(got["m"], want.min().to_numpy())


def test_group_sums_without_pandas_loaded_are_the_same():
    """The path a ``--json`` command takes (pandas not imported): the same floats."""
    cases = _cases(seed=5)[:20]
    code = (
        "import json, sys\n"
        "import numpy as np\n"
        "from sianode.cycling.table import _group_sums\n"
        "out = []\n"
        "for g, v in json.loads(sys.stdin.read()):\n"
        "    g, v = np.array(g), np.array([float(x) for x in v])\n"
        "    out.append([float(x).hex() for x in _group_sums(g, {'x': v}, {})[1]['x']])\n"
        "assert 'pandas' not in sys.modules\n"
        "print(json.dumps(out))\n"
    )
    payload = json.dumps([[g.tolist(), [repr(float(x)) for x in v]] for g, v in cases])
    proc = subprocess.run(
        [sys.executable, "-c", code], input=payload, capture_output=True, text=True, check=True
    )
    got = json.loads(proc.stdout)
    for (grp, v), sums in zip(cases, got, strict=True):
        want = [float(x).hex() for x in _pandas_sums(grp, v)]
        assert sums == want


SMALL = ["yadg/gcpl.pr_182.1.mpr", "navani/test.ndax", "navani/test.nda"]


def _shared(external_data: Path, name: str) -> Path:
    path = external_data / "cycler" / name
    if not path.is_file():
        pytest.skip(f"{path} missing")
    return path


@pytest.fixture(scope="module")
def small_mpr(external_data: Path) -> Path:
    return _shared(external_data, SMALL[0])


@pytest.mark.parametrize("name", SMALL)
def test_read_columns_is_read_without_the_frame(external_data, name):
    """The same table, columns and metadata; Neware's text column is built on use."""
    path = _shared(external_data, name)
    table, meta = read_columns(path)
    frame, meta2 = read(path)
    assert isinstance(table, ColumnTable)
    assert meta == meta2
    assert list(table) == list(frame.columns)
    assert table.attrs == frame.attrs
    pd.testing.assert_frame_equal(table.to_frame(), frame, check_exact=True)
    if name.startswith("navani/test.nd"):
        assert isinstance(table["Step Type"], LazyColumn)
        assert str(frame["Step Type"].dtype) == "str"


@pytest.mark.parametrize("role", [None, "anode", "cathode"])
def test_cycle_table_columns_take_columns_or_frames(small_mpr, role):
    columns, _ = read_columns(small_mpr)
    frame, _ = read(small_mpr)
    kw = {"role": role, "active_mass_g": 1e-3}
    a = cycle_table_columns(columns, **kw)
    b = cycle_table(frame, **kw)
    pd.testing.assert_frame_equal(a.to_frame(), b, check_exact=True)
    assert a.attrs == b.attrs
    c = cycle_table_columns(renumber_cycles(columns, "charge"), **kw)
    d = cycle_table(renumber_cycles(frame, "charge"), **kw)
    pd.testing.assert_frame_equal(c.to_frame(), d, check_exact=True)


@pytest.mark.parametrize("name", SMALL)
def test_cycles_json_command_imports_no_pandas(external_data, name):
    """``sianode cycles FILE --json`` as a user runs it (a fresh process): no pandas
    (0.35 s of a 0.6 s command before, issue 17), no pydantic (typer's value conversion,
    see sianode.cli._startup), and the numbers of the DataFrame API. (Neware files still
    import polars, through fastnda.)"""
    path = _shared(external_data, name)
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "sianode.cli", "cycles", str(path)]
        + ["--json", "--role", "anode"],
        capture_output=True,
        text=True,
        check=True,
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()}
    top = {m.split(".")[0] for m in imported}
    assert not top & {"pandas", "pyarrow", "scipy", "pint", "pydantic", "matplotlib"}
    rows = json.loads(proc.stdout)["cycles"]
    table = cycle_table(read(path)[0], role="anode")
    assert [r["cycle"] for r in rows] == table["Cycle Count / 1"].tolist()
    assert [r["charge_mAh"] for r in rows] == table["Cycle Charging Capacity / mAh"].tolist()
