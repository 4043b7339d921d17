"""Structure of the readers (issue 15): layers, one home for column names, file sizes."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import sianode
from sianode import columns

PKG = Path(sianode.__file__).parent
BDF_NAMES = {v for k, v in vars(columns).items() if k.isupper() and isinstance(v, str)}


def _imports(path: Path) -> set[str]:
    """Absolute names of the sianode modules ``path`` imports (relative ones resolved)."""
    mod = path.relative_to(PKG.parent).with_suffix("").parts
    package = mod[:-1] if mod[-1] != "__init__" else mod[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join(base + ((node.module,) if node.module else ()))
            else:
                name = node.module or ""
            out.add(name)
            out.update(f"{name}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_readers_import_no_analysis_simulation_report_sweep_or_cli():
    banned = ("cycling", "simulation", "report", "sweep", "cli", "calibration", "metrics")
    for path in sorted((PKG / "io").glob("*.py")):
        bad = sorted(
            name
            for name in _imports(path)
            if any(name == f"sianode.{b}" or name.startswith(f"sianode.{b}.") for b in banned)
        )
        assert not bad, f"{path.name} imports {bad}"


def test_bdf_column_names_are_written_in_columns_only():
    found = []
    for path in sorted(PKG.rglob("*.py")):
        if path.name == "columns.py" and path.parent == PKG:
            continue
        text = path.read_text()
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type != tokenize.STRING:
                continue
            body = tok.string.strip("\"'")
            fstring = tok.string[:2].lower() in ('f"', "f'")
            if body in BDF_NAMES or (fstring and any(n in tok.string for n in BDF_NAMES)):
                found.append(f"{path.relative_to(PKG)}:{tok.start[0]}: {tok.string[:60]}")
    assert not found, "\n".join(found)


def test_no_private_pandas_api():
    pattern = re.compile(r"\._from_arrays|pandas\._libs|\bpd\._[a-z]|\._mgr\b")
    hits = [
        f"{p.relative_to(PKG)}:{k}"
        for p in PKG.rglob("*.py")
        for k, line in enumerate(p.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert not hits, hits


def test_reader_and_cycling_files_have_one_job_and_at_most_600_lines():
    for folder in ("io", "cycling"):
        for path in (PKG / folder).glob("*.py"):
            n = len(path.read_text().splitlines())
            assert n <= 600, f"{folder}/{path.name}: {n} lines"
    assert not (PKG / "cycling.py").exists()


def test_reading_a_format_imports_only_its_reader():
    import subprocess
    import sys

    code = (
        "import sys, numpy as np; from pathlib import Path; import tempfile\n"
        "from sianode.io import _READERS, FORMATS, read\n"
        "assert set(_READERS) == set(FORMATS), set(_READERS) ^ set(FORMATS)\n"
        "p = Path(tempfile.mkdtemp()) / 'x.csv'\n"
        "p.write_text('Test Time / s,Voltage / V,Current / A\\n0,3.5,0.001\\n1,3.6,0.001\\n')\n"
        "read(p)\n"
        "others = ['arbin', 'biologic', 'indigo', 'maccor', 'neware', 'novonix', 'pec']\n"
        "print([m for m in others if 'sianode.io.' + m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
