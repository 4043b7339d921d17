"""``sianode reproduce``: the whole study, deterministic, atomic, and a report that renders."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from sianode.cli import main
from sianode.report.reproduce import reproduce


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    rc = main(["reproduce", "--out", str(out)])
    assert rc == 0
    return out


def test_outputs_and_summary_keys(report):
    for name in (
        "report.html",
        "summary.json",
        "capacity_retention.png",
        "voltage_curves.png",
        "strain_vs_soc.png",
        "what_if.png",
        "dense_timeseries.bdf.parquet",
        "nanoporous_cycles.parquet",
    ):
        assert (report / name).stat().st_size > 0, name
    s = json.loads((report / "summary.json").read_text())
    assert s["dense"]["retention_pct"] == pytest.approx(17.0, abs=0.05)  # calibrated (study.md)
    low, high = s["nanoporous"]["retention_band_pct"]
    assert low <= s["nanoporous"]["retention_pct"] <= high
    assert s["calibration"]["parameter"] == "beta" and s["calibration"]["target"] == 0.17
    assert s["synthesis"]["si_yield_mg"] == pytest.approx(280.4, abs=0.05)  # physics.md 1.2
    assert s["design"]["si_mass_mg"] == pytest.approx(0.72)
    assert {"current_density_mA_cm2", "c_rate"} <= set(s["design"]["steps"][0])
    assert not list(report.glob(".sianode-tmp-*"))


def test_prior_band_fields(report):
    """issue 14 E: the band's fields, from at least 1000 samples, beside v0.1's blind record
    (README.md at e1911caf: 33.8 %, 25.4-39.0 %)."""
    s = json.loads((report / "summary.json").read_text())
    n = s["nanoporous"]
    assert n["band_samples"] >= 1000
    assert 0 <= n["band_failed_fraction"] <= 1
    assert s["blind_record"]["retention_pct"] == 33.8
    assert s["blind_record"]["retention_band_pct"] == [25.4, 39.0]
    assert s["blind_record"]["commit"].startswith("e1911caf")
    ranking = s["measurement_ranking"]
    assert all(set(r) == {"measurement", "band_width_reduction_pct"} for r in ranking)
    red = [r["band_width_reduction_pct"] for r in ranking]
    assert red == sorted(red, reverse=True)
    assert {"sobol", "priors", "failure_reasons"} <= set(s["band"])
    assert (report / "band.png").stat().st_size > 0


def test_parquet_uses_bdf_columns(report):
    import pandas as pd

    ts = pd.read_parquet(report / "dense_timeseries.bdf.parquet")
    for col in ("Test Time / s", "Voltage / V", "Current / A", "Cycle Count / 1", "Step Count / 1"):
        assert col in ts


def test_rerun_gives_identical_numbers(report, tmp_path):
    again = reproduce(out=tmp_path)
    first = json.loads((report / "summary.json").read_text())
    for key in ("dense", "nanoporous", "calibration", "what_if"):
        assert json.dumps(first[key], sort_keys=True) == json.dumps(
            json.loads((tmp_path / "summary.json").read_text())[key], sort_keys=True
        )
    assert again["calibration"]["value"] == first["calibration"]["value"]


def test_interrupt_leaves_no_half_written_files(tmp_path, monkeypatch):
    """Ctrl-C while the report is being written (three PNGs already saved in the temporary
    folder): the output folder ends up with no file at all."""
    import sianode.report.reproduce as rp

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(rp, "_whatif_figure", interrupted)
    with pytest.raises(KeyboardInterrupt):
        reproduce(out=tmp_path, with_band=False)
    assert list(tmp_path.iterdir()) == []


def test_report_escapes_text_from_input_files(tmp_path):
    from sianode import load_study
    from sianode.study import Study

    study = load_study()
    raw = dict(study.raw)
    raw["study"] = {"name": "<script>alert(1)</script> & co"}
    out = tmp_path / "r"
    reproduce(Study(raw=raw, path=study.path), out=out, with_band=False)
    html = (out / "report.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;" in html


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def test_report_renders_in_a_real_browser(report, tmp_path):
    """Headless Chromium: the page loads offline, every figure has a size, the numbers table is
    present, and nothing is logged to the console as an error. A screenshot is saved."""
    browser = _chromium()
    if browser is None:
        pytest.skip("no chromium on this machine (scripts/install-system-deps.sh installs it)")
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=5000",
    ]
    url = (report / "report.html").resolve().as_uri()
    # a DOM dump after scripts would have run; the page itself has none
    dom = subprocess.run(
        [browser, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120
    )
    assert dom.returncode == 0, dom.stderr[-500:]
    assert dom.stdout.count("<img") == 5  # 4 study figures + the prior band (issue 14)
    assert 'id="numbers"' in dom.stdout and 'id="provenance"' in dom.stdout
    # the report says which code made it (issue 16)
    assert 'id="stamp"' in dom.stdout and "Made by sianode" in dom.stdout
    assert 'id="sobol"' in dom.stdout and 'id="measurement-ranking"' in dom.stdout
    console_errors = [
        ln for ln in dom.stderr.splitlines() if "CONSOLE" in ln and "ERROR" in ln.upper()
    ]
    assert console_errors == []
    # every figure decoded with a real size, and no table wider than a narrow (600 px) page:
    # a wrapper page (the test's, not the report's) loads the report in an iframe and reports
    # the images' natural sizes and the page's scroll and client widths
    wrapper = tmp_path / "check.html"
    wrapper.write_text(
        "<html><body><iframe id='f' src='" + url + "' width=600 height=800></iframe><pre id='out'>"
        "pending</pre><script>document.getElementById('f').onload=function(){var d=this."
        "contentDocument;var imgs=[].slice.call(d.images);document.getElementById('out')."
        "textContent=JSON.stringify({imgs:imgs.map(function(i){return [i.complete,i.naturalWidth,"
        "i.naturalHeight]}),widths:[d.documentElement.scrollWidth,d.documentElement.clientWidth]"
        "});};</script></body></html>"
    )
    chk = subprocess.run(
        [
            browser,
            *flags,
            "--allow-file-access-from-files",
            "--dump-dom",
            wrapper.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    import re

    m = re.search(r'<pre id="out">(.*?)</pre>', chk.stdout)
    assert m, chk.stdout[-500:]
    got = json.loads(m.group(1))
    sizes = got["imgs"]
    assert len(sizes) == 5 and all(ok and w > 100 and h > 100 for ok, w, h in sizes), sizes
    scroll_w, client_w = got["widths"]
    assert scroll_w <= client_w, f"the page scrolls sideways: {scroll_w} px in {client_w} px"
    shot = tmp_path / "report.png"
    subprocess.run(
        [browser, *flags, f"--screenshot={shot}", "--window-size=1200,3000", url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shot.exists() and shot.stat().st_size > 10_000
