"""Cost of the readers' safety checks (issue 16) inside ``sianode.io.read``, per real file.

For each shared cycler file: the read time (minimum of 7 calls in this process), the time of
``io.checks.check_values`` on the finished columns (minimum of 15), and the time spent in
``io.structure.check_fields`` during one read (minimum over 7 reads). Run from the repository
root::

    SIANODE_EXTERNAL_DATA=../shared/data/external .venv/bin/python benchmarks/reader_checks_cost.py
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = Path(os.environ.get("SIANODE_EXTERNAL_DATA", "/work/shared/data/external")) / "cycler"


def _best(f, n: int) -> float:
    best = float("inf")
    for _ in range(n):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    warnings.simplefilter("ignore")
    sys.path.insert(0, str(HERE))
    from bench_readers import data_files

    import sianode.io._tables as tables
    from sianode.io import read
    from sianode.io.checks import check_values

    check_fields = tables.check_fields
    spent: list[float] = []

    def timed(*args, **kwargs):
        t0 = time.perf_counter()
        check_fields(*args, **kwargs)
        spent.append(time.perf_counter() - t0)

    print("| file | read [ms] | value checks [ms] | structure checks [ms] | share |")
    print("|---|---|---|---|---|")
    total_read = total_checks = 0.0
    for p in data_files(DATA):
        data, _ = read(p)
        cols = {k: data[k].to_numpy() for k in data.columns if data[k].dtype.kind in "fiub"}
        t_read = _best(lambda p=p: read(p), 7)
        n = len(data)
        t_values = _best(lambda c=cols, n=n: check_values(c, {"warnings": []}, n), 15)
        tables.check_fields = timed
        per_read = []
        for _ in range(7):
            spent.clear()
            read(p)
            per_read.append(sum(spent))
        tables.check_fields = check_fields
        t_fields = min(per_read)
        total_read += t_read
        total_checks += t_values + t_fields
        print(
            f"| {p.relative_to(DATA).as_posix()} | {t_read * 1e3:.3f} | {t_values * 1e3:.3f} |"
            f" {t_fields * 1e3:.3f} | {100 * (t_values + t_fields) / t_read:.1f} % |"
        )
    print(f"\nall files: read {total_read * 1e3:.1f} ms, checks {total_checks * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
