"""Check that a change leaves ``sianode cycles --json`` and the Python API exactly as they were.

Speed work on the ``cycles`` path (issue 17) must not change a single output byte. Run once
on the tree before the change and once after::

    PYTHONPATH=src .venv/bin/python benchmarks/cycles_identical.py save /tmp/cycles_before
    PYTHONPATH=src .venv/bin/python benchmarks/cycles_identical.py check /tmp/cycles_before

For every file under ``$SIANODE_EXTERNAL_DATA/cycler`` (recursively; default
``/work/shared/data/external/cycler``) and every option set in :data:`VARIANTS`, ``save``
records the command's stdout, stderr and exit code (``python -m sianode.cli``, a fresh
process, as a user runs it: without pandas loaded), and pickles what the Python API returns: ``sianode.io.read`` (table, attrs, metadata) and
``sianode.cycling.cycle_table`` / ``suggest_role`` for the same option sets. ``check``
compares: the command's output byte for byte, the tables with
``pandas.testing.assert_frame_equal(check_exact=True)`` plus their ``attrs``. Prints one line
per difference and exits 1 if there is any.
"""

from __future__ import annotations

import math
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

DATA = Path(os.environ.get("SIANODE_EXTERNAL_DATA", "/work/shared/data/external")) / "cycler"

#: (tag, extra command-line options, cycle_table keyword arguments)
VARIANTS: list[tuple[str, list[str], dict[str, Any]]] = [
    ("plain", [], {}),
    ("anode", ["--role", "anode"], {"role": "anode"}),
    (
        "cathode-normalised",
        ["--role", "cathode", "--active-mass", "0.72mg", "--composite-mass", "1.1mg"]
        + ["--area", "0.785cm2"],
        {
            "role": "cathode",
            "active_mass_g": 0.72e-3,
            "composite_mass_g": 1.1e-3,
            "area_cm2": 0.785,
        },
    ),
    ("plain-area", ["--area", "0.785cm2"], {"area_cm2": 0.785}),
    ("instrument", ["--cycles", "instrument", "--role", "anode"], {"role": "anode"}),
    ("opening-charge", ["--opening", "charge", "--role", "anode"], {"role": "anode"}),
]


def files() -> list[Path]:
    """Every file under the cycler folder, sorted."""
    return sorted(p for p in DATA.rglob("*") if p.is_file())


def run_cli(args: list[str]) -> tuple[int, str, str]:
    """``python -m sianode.cli *args`` as a child process: exit code, stdout, stderr."""
    proc = subprocess.run(
        [sys.executable, "-m", "sianode.cli", *args], capture_output=True, text=True, check=False
    )
    return proc.returncode, proc.stdout, proc.stderr


def api(path: Path) -> dict[str, Any]:
    """What the Python API returns for ``path`` (exceptions recorded as text)."""
    from sianode.cycling import cycle_table, renumber_cycles, suggest_role
    from sianode.io import read

    rec: dict[str, Any] = {}
    try:
        data, meta = read(path)
    except Exception as exc:  # noqa: BLE001
        return {"read": f"{type(exc).__name__}: {exc}"}
    rec["read"] = (data, dict(data.attrs), meta)
    rec["suggest_role"] = suggest_role(data)
    for tag, _, kw in VARIANTS:
        try:
            if tag == "instrument":
                t = cycle_table(data, cycles="instrument", **kw)
            elif tag == "opening-charge":
                t = cycle_table(renumber_cycles(data, "charge"), **kw)
            else:
                t = cycle_table(data, **kw)
            rec[tag] = (t, dict(t.attrs))
        except Exception as exc:  # noqa: BLE001
            rec[tag] = f"{type(exc).__name__}: {exc}"
    return rec


def record() -> dict[str, Any]:
    """CLI outputs and API results of every file and variant."""
    out: dict[str, Any] = {}
    for p in files():
        key = str(p.relative_to(DATA))
        out[key] = {"api": api(p)}
        for tag, opts, _ in VARIANTS:
            out[key][f"cli:{tag}"] = run_cli(["cycles", str(p), "--json", *opts])
    return out


def _same(a: Any, b: Any) -> bool:
    import numpy as np
    import pandas as pd

    if isinstance(a, pd.DataFrame) or isinstance(b, pd.DataFrame):
        if not (isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame)):
            return False
        try:
            pd.testing.assert_frame_equal(a, b, check_exact=True)
        except AssertionError:
            return False
        return True
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.array_equal(a, b, equal_nan=True))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("save", "check"):
        print(__doc__)
        return 2
    folder = Path(argv[1])
    now = record()
    if argv[0] == "save":
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "cycles.pkl").write_bytes(pickle.dumps(now))
        n = sum(1 for f in now.values() for k, v in f.items() if k.startswith("cli:") and v[0] == 0)
        print(f"saved {len(now)} files, {n} successful command runs, to {folder}")
        return 0
    before = pickle.loads((folder / "cycles.pkl").read_bytes())
    bad = 0
    for key in sorted(before.keys() | now.keys()):
        a, b = before.get(key, {}), now.get(key, {})
        for what in sorted(a.keys() | b.keys()):
            if what == "api":
                for k in sorted(a.get("api", {}).keys() | b.get("api", {}).keys()):
                    if not _same(a["api"].get(k), b["api"].get(k)):
                        bad += 1
                        print(f"DIFFERS {key} api:{k}")
            elif a.get(what) != b.get(what):
                bad += 1
                print(f"DIFFERS {key} {what}")
    runs = sum(1 for f in now.values() for k in f if k.startswith("cli:"))
    print(f"{len(now)} files, {runs} command runs: {bad} difference(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
