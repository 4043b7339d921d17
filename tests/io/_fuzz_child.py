"""Child process of the reader fuzz test: read mutated copies of one file under limits.

Usage: ``python _fuzz_child.py CASES.json LIMIT_BYTES TIMEOUT_S``. CASES.json lists
``{"path": ..., "label": ...}`` of files already written. The child reads the original
file first (so that every library the reader needs is imported), then caps its address
space at what it uses plus ``LIMIT_BYTES`` (``RLIMIT_AS``) and reads each case with a
watchdog that ends the process after ``TIMEOUT_S`` (``faulthandler``, which works even
while pandas' C code holds the interpreter). It prints one JSON line: per case the
outcome and the time taken, and the process's peak resident memory.
"""

from __future__ import annotations

import faulthandler
import json
import resource
import sys
import time
import warnings


def _status(key: str) -> int:
    """A ``/proc/self/status`` memory entry [bytes]."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


def main() -> None:
    cases = json.load(open(sys.argv[1]))
    limit = int(sys.argv[2])
    timeout = float(sys.argv[3])
    warnings.simplefilter("ignore")
    from sianode.errors import ParsingError
    from sianode.io import read

    original = cases[0]["original"]
    try:
        read(original)
    except ParsingError:
        pass
    cap = _status("VmSize") + limit
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    out = []
    for case in cases:
        faulthandler.dump_traceback_later(timeout, exit=True)
        t0 = time.perf_counter()
        try:
            read(case["path"])
            outcome = "ok"
        except ParsingError as exc:
            outcome = f"ParsingError: {exc}"
        except BaseException as exc:  # reported to the parent, which fails the test
            outcome = f"{type(exc).__name__}: {exc}"
        finally:
            faulthandler.cancel_dump_traceback_later()
        out.append(
            {"label": case["label"], "outcome": outcome[:300], "seconds": time.perf_counter() - t0}
        )
    print(json.dumps({"cases": out, "peak_rss": _status("VmHWM")}))


if __name__ == "__main__":
    main()
