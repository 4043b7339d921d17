"""The sweep report reads as a person would write it (issue 16): parameter names with spaces
and units instead of snake_case, a stamp of the code that made it, and tables that never
widen the page."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from sianode import __version__
from sianode.sweep.analysis import label, write_report


@pytest.fixture
def report(tmp_path, small_spec):
    from sianode.sweep.engines import run_sweep

    run_sweep(small_spec, tmp_path / "sweep")
    return write_report(tmp_path / "sweep", ("porosity / 1", "current_density / mA/cm2"))


@pytest.mark.parametrize(
    ("column", "shown"),
    [
        ("particle_radius / um", "particle radius [um]"),
        ("bet_area / m2/g", "BET area [m2/g]"),
        ("porosity / 1", "porosity"),
        ("li15si4_min_size / nm", "Li15Si4 min size [nm]"),
        ("retention_c6", "retention c6"),
        ("Retention vs Cycle 50 Lithiation / 1", "Retention vs Cycle 50 Lithiation"),
    ],
)
def test_label(column, shown):
    assert label(column) == shown


def test_report_has_no_snake_case_names(report):
    html = report.read_text()
    headers = set(re.findall(r"<th>([^<]*)</th>", html))
    assert {"particle radius [um]", "lithiation capacity limit [mAh/g]", "porosity"} <= headers
    assert not [h for h in headers if "_" in h], headers
    assert "Sensitivity ranking on retention c6" in html


def test_report_carries_the_stamp(report):
    html = report.read_text()
    assert f"Made by sianode {__version__} (git commit " in html


def test_wide_tables_scroll_inside_their_box(report, tmp_path):
    """Headless Chromium at 1000 px: the top-designs table (17 columns) must not make the
    page itself scroll sideways (it was 2390 px wide before)."""
    browser = next(
        (
            shutil.which(n)
            for n in ("chromium", "chromium-browser", "google-chrome")
            if shutil.which(n)
        ),
        None,
    )
    if browser is None:
        pytest.skip("no chromium on this machine (scripts/install-system-deps.sh installs it)")
    wrapper = tmp_path / "check.html"
    wrapper.write_text(
        "<html><body><iframe id='f' src='" + report.resolve().as_uri() + "' width=1000 "
        "height=800></iframe><pre id='out'>pending</pre><script>document.getElementById('f')"
        ".onload=function(){var e=this.contentDocument.documentElement;document.getElementById"
        "('out').textContent=JSON.stringify([e.scrollWidth,e.clientWidth]);};</script>"
        "</body></html>"
    )
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    flags += [f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000"]
    run = subprocess.run(
        [browser, *flags, "--allow-file-access-from-files", "--dump-dom", wrapper.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    m = re.search(r'<pre id="out">(.*?)</pre>', run.stdout)
    assert m, run.stdout[-500:]
    scroll_w, client_w = json.loads(m.group(1))
    assert scroll_w <= client_w, f"the page scrolls sideways: {scroll_w} px in {client_w} px"
