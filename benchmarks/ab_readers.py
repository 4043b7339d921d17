"""A/B timing of ``sianode.io.read`` between two source trees, on every real cycler file.

Use it to measure a change to the readers on a noisy machine, where two runs of
``bench_readers.py`` minutes apart differ by more than most changes::

    git worktree add /tmp/sianode-base <commit>
    .venv/bin/python benchmarks/ab_readers.py --base /tmp/sianode-base/src [--rounds 2]

For each file and round, one fresh process per tree reads the file once (warm-up), then
repeatedly for ``--seconds`` (at least 3 times). The two trees' processes run back to back
for the same file, in alternating order from round to round, so a busy moment on the machine
hits both. The table gives each file's minimum over all rounds (the least disturbed time,
which is what a code change moves) and the ratio base / new, so > 1 means the new code is
faster; the last line is the geometric mean of the ratios.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
DATA = Path(os.environ.get("SIANODE_EXTERNAL_DATA", "/work/shared/data/external")) / "cycler"

_CHILD = """
import json, sys, time, warnings
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[2])
warnings.simplefilter("ignore")
import sianode
from bench_readers import DATA, data_files
from sianode.io import read
assert sianode.__file__.startswith(sys.argv[1]), sianode.__file__
out = {}
only = sys.argv[4]
for p in data_files(DATA):
    if p.relative_to(DATA).as_posix() != only:
        continue
    read(p)
    times = []
    end = time.perf_counter() + float(sys.argv[3])
    while time.perf_counter() < end or len(times) < 3:
        t0 = time.perf_counter()
        read(p)
        times.append(time.perf_counter() - t0)
    out[p.relative_to(DATA).as_posix()] = min(times)
print(json.dumps(out))
"""


def run_tree(src: Path, seconds: float, rel: str) -> dict[str, float]:
    """Minimum read time of file ``rel`` [s] in a fresh process importing sianode from ``src``."""
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(src), str(HERE), str(seconds), rel],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        tail = " ".join(proc.stderr.strip().splitlines()[-1:])
        sys.exit(f"timing {src} failed: {tail}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=Path, required=True, help="the other tree's src folder")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=0.6, help="timing per file and process")
    args = ap.parse_args()
    if not (args.base / "sianode").is_dir():
        sys.exit(f"no sianode package under {args.base}")
    if not DATA.is_dir():
        sys.exit(f"no cycler data folder at {DATA} (set SIANODE_EXTERNAL_DATA)")
    sys.path.insert(0, str(HERE))
    from bench_readers import data_files

    files = [p.relative_to(DATA).as_posix() for p in data_files(DATA)]
    base: dict[str, float] = {}
    new: dict[str, float] = {}
    trees = [(args.base.resolve(), base), (SRC, new)]
    for r in range(args.rounds):
        print(f"round {r + 1} of {args.rounds}", file=sys.stderr)
        for rel in files:
            for tree, best in trees if r % 2 == 0 else trees[::-1]:
                for f, t in run_tree(tree, args.seconds, rel).items():
                    best[f] = min(best.get(f, math.inf), t)
    print("| file | base [ms] | new [ms] | base / new |")
    print("|---|---|---|---|")
    logs = []
    for f in sorted(new):
        ratio = base[f] / new[f]
        logs.append(math.log(ratio))
        print(f"| {f} | {base[f] * 1e3:.3f} | {new[f] * 1e3:.3f} | {ratio:.2f}× |")
    print(
        f"\ngeometric mean of base / new over {len(logs)} files: {math.exp(sum(logs) / len(logs)):.2f}×"
    )


if __name__ == "__main__":
    main()
