"""The peer pipelines of bench_characterisation.py, once each, as a whole process.

``python benchmarks/peer_startup.py sorption|xrd|raman`` runs the script a user would write
with pyGAPS or lmfit/scipy (see :mod:`bench_characterisation`) on the same real file as the
sianode command it is timed against in ``bench_startup.py``, prints its result and exits.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_characterisation as b  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    mode = (argv if argv is not None else sys.argv[1:])[0]
    if mode == "sorption":
        print(b.peer_sorption(b.ROOT / "isotherms" / "pygaps_MCM-41_N2_77K.json"))
    elif mode == "xrd":
        print(b.peer_xrd())
    elif mode == "raman":
        print(b.peer_raman())
    else:
        raise SystemExit(f"unknown mode {mode!r}: sorption, xrd or raman")
    return 0


if __name__ == "__main__":
    sys.exit(main())
