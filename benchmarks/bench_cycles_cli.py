"""Benchmark: ``sianode cycles FILE --json`` as a whole process, beside the peers (issue 17).

Goal: at most 0.4 s on each shared small file (``navani/test.ndax``, the ``.mpr`` files),
ahead of NewareNDA and within 2x of galvani, all as whole processes. Every command runs as
a fresh process; one warm-up round, then ``--runs`` rounds, each running every command once
in turn (alternating, so that a change in the machine's load hits all of them alike). The
script prints per command the median wall time and the median CPU time (user + sys of the
finished child, from ``os.wait4``) and the load average before and after.

Run from the repository root::

    PYTHONPATH=src .venv/bin/python benchmarks/bench_cycles_cli.py [--runs 7] \\
        [--before OTHER_TREE/src] [--json benchmarks/results/cycles_cli.json]

- ``sianode``: the console script next to this interpreter, importing sianode from
  ``$PYTHONPATH``; with ``--before``, the same command importing from that source tree too
  (the tree before a change), in the same rounds.
- peers, when ``benchmarks/.venv-peers`` exists (see ``bench_readers.py``): galvani 0.5.0's
  bare parse of each ``.mpr`` (``BioLogic.MPRfile``: a record array, no table) and
  NewareNDA's ``read`` of the ``.ndax`` (a DataFrame), each a ``python -c`` process.
- floors: ``python -c "import numpy"`` and ``python -c "import pandas"`` (this venv).

An installed package has its modules byte-compiled (pip does it); a source tree run with
``PYTHONDONTWRITEBYTECODE=1`` compiles every sianode module on every start (~30-40 ms), so
the script byte-compiles the ``sianode`` package of each tree measured first.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PEER_PY = HERE / ".venv-peers" / "bin" / "python"
GALVANI_UPSTREAM = HERE / ".venv-peers" / "galvani-upstream"
DATA = Path(os.environ.get("SIANODE_EXTERNAL_DATA", "/work/shared/data/external")) / "cycler"
FILES = [
    "yadg/gcpl.issue_149.mpr",
    "yadg/gcpl.pr_182.1.mpr",
    "yadg/gcpl.issue_211.mpr",
    "navani/test.ndax",
    "navani/test.nda",
]


def run_once(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall s, cpu s) of one run of ``cmd`` as a child process; exits on failure."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    err = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(cmd)}: exit {code}: {err.decode()[-300:]}")
    return wall, usage.ru_utime + usage.ru_stime


def commands(before: str | None) -> dict[str, tuple[list[str], dict[str, str]]]:
    """Label -> (command, environment)."""
    exe = shutil.which("sianode") or str(Path(sys.executable).with_name("sianode"))
    env = dict(os.environ)
    out: dict[str, tuple[list[str], dict[str, str]]] = {}
    for f in FILES:
        path = str(DATA / f)
        out[f"sianode cycles {f} --json"] = ([exe, "cycles", path, "--json"], env)
        if before:
            out[f"before: sianode cycles {f} --json"] = (
                [exe, "cycles", path, "--json"],
                dict(env, PYTHONPATH=before),
            )
        if PEER_PY.exists() and f.endswith(".mpr"):
            code = (
                f"import sys; sys.path.insert(0, {str(GALVANI_UPSTREAM)!r})\n"
                "from galvani import BioLogic\n"
                f"with open({path!r}, 'rb') as fh: print(len(BioLogic.MPRfile(fh).data))"
            )
            out[f"galvani 0.5.0 MPRfile {f}"] = ([str(PEER_PY), "-c", code], env)
        if PEER_PY.exists() and f.endswith((".nda", ".ndax")):
            code = f"import NewareNDA; print(len(NewareNDA.read({path!r}, log_level='ERROR')))"
            out[f"NewareNDA.read {f}"] = ([str(PEER_PY), "-c", code], env)
    out["floor: python -c 'import numpy'"] = ([sys.executable, "-c", "import numpy"], env)
    out["floor: python -c 'import pandas'"] = ([sys.executable, "-c", "import pandas"], env)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--before", default=None, help="another sianode source tree (its src)")
    ap.add_argument("--json", type=Path, default=None, help="write the results here")
    a = ap.parse_args()
    cmds = commands(a.before)
    spec = importlib.util.find_spec("sianode")
    trees = [Path(p).parent for p in (spec.submodule_search_locations or [])] if spec else []
    for tree in [*trees, *([Path(a.before)] if a.before else [])]:
        compileall.compile_dir(str(tree / "sianode"), quiet=1)
    load0 = os.getloadavg()
    for cmd, env in cmds.values():  # warm-up: file cache, .pyc
        run_once(cmd, env)
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in cmds}
    for _ in range(a.runs):
        for k, (cmd, env) in cmds.items():
            times[k].append(run_once(cmd, env))
    load1 = os.getloadavg()
    res = {
        k: {
            "wall_s": statistics.median(w for w, _ in v),
            "cpu_s": statistics.median(c for _, c in v),
            "runs": len(v),
        }
        for k, v in times.items()
    }
    print(f"load average (1, 5, 15 min) before: {load0}, after: {load1}; {a.runs} rounds")
    print("| command | wall [s] | CPU [s] |\n|---|---|---|")
    for k, r in res.items():
        print(f"| `{k}` | {r['wall_s']:.3f} | {r['cpu_s']:.3f} |")
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(
            json.dumps({"load_before": load0, "load_after": load1, "results": res}, indent=2)
        )


if __name__ == "__main__":
    main()
