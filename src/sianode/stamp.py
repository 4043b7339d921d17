"""What made a result: the sianode version, the date and the git commit of the code.

Every report carries this stamp so a reader can tell which code produced its numbers.
"""

from __future__ import annotations

import subprocess
from datetime import datetime, timezone
from pathlib import Path

__all__ = ["git_commit", "run_stamp"]

_PACKAGE = Path(__file__).resolve().parent


def git_commit() -> str:
    """The git commit of the sianode source in use (``<hash>`` or ``<hash>-dirty`` with
    uncommitted changes), or a phrase saying why there is none (an installed wheel has no
    git history). Only a checkout whose ``src/sianode`` is this package counts, so a wheel
    installed inside some other repository does not report that repository's commit."""
    try:
        top = subprocess.run(
            ["git", "-C", str(_PACKAGE), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            timeout=5,
        )
        if top.returncode != 0:
            return "unknown (not a git checkout)"
        if (Path(top.stdout.strip()) / "src" / "sianode").resolve() != _PACKAGE:
            return "unknown (installed package, not a sianode checkout)"
        out = subprocess.run(
            ["git", "-C", str(_PACKAGE), "describe", "--always", "--dirty", "--abbrev=12"],
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown (git not available)"
    return out.stdout.strip() if out.returncode == 0 else "unknown (git describe failed)"


def run_stamp() -> dict[str, str]:
    """``{"sianode_version", "date_utc", "git_commit"}`` for the result being written."""
    from . import __version__

    return {
        "sianode_version": str(__version__),
        "date_utc": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "git_commit": git_commit(),
    }
