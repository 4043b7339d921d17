"""The report's figures say what they show (issue 16): labelled, correctly titled what-if
panels, and markers for the studied material and the calibration target."""

from __future__ import annotations

import json

import matplotlib
import pytest

matplotlib.use("Agg")

from sianode import __version__  # noqa: E402
from sianode.report import figures  # noqa: E402
from sianode.report.reproduce import reproduce  # noqa: E402


@pytest.fixture(scope="module")
def summary(tmp_path_factory):
    out = tmp_path_factory.mktemp("rep")
    reproduce(out=out, with_band=False)
    return json.loads((out / "summary.json").read_text()), out


def _capture(monkeypatch):
    import matplotlib.pyplot as plt

    figs = []
    monkeypatch.setattr(plt, "close", lambda fig=None: figs.append(fig))
    return figs


def test_whatif_panels_are_labelled_and_titled_from_the_study(summary, monkeypatch, tmp_path):
    s, _ = summary
    figs = _capture(monkeypatch)
    figures.whatif_figure(s["what_if"], tmp_path / "w.png")
    ax_a, ax_b, ax_c = figs[-1].axes[:3]
    # study.md / reference_study.toml: 5.9 nm pores, 0.5 nm native oxide, 50 cycles
    assert ax_a.get_title().startswith("(a) retention vs porosity")
    assert "nanoporous Si, 5.9 nm pores" in ax_a.get_title()
    assert ax_b.get_title().startswith("(b) retention vs lithiation capacity limit")
    assert ax_c.get_title().startswith("(c) first-cycle efficiency vs porosity")
    assert "0.5 nm native oxide" in ax_c.get_title()
    assert ax_a.get_ylabel() == ax_b.get_ylabel() == "retention at cycle 50 / %"
    phi = s["nanoporous"]["porosity"]
    for ax in (ax_a, ax_c):
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert f"nanoporous Si: {phi:.3f}" in labels  # the material's own porosity is marked
    # the designs the what-if could not run are named on the panel, not silently dropped
    failed = [st for st in s["what_if"]["porosity"]["status"] if st != "completed"]
    if failed:
        assert any(f"{len(failed)} designs did not run" in t.get_text() for t in ax_a.texts)


def test_capacity_figure_marks_the_calibration_target(summary, monkeypatch):
    from sianode.plotting import plot_capacity_retention
    from sianode.study import load_study

    class _Cal:
        material, target, cycle = "dense", 0.17, 50  # study.md: dense keeps 17 % at cycle 50

    class _Res:
        def __init__(self, path):
            import pandas as pd

            self.cycles = pd.read_parquet(path)

    s, out = summary
    fig = plot_capacity_retention({"dense Si": _Res(out / "dense_cycles.parquet")}, 50)
    figures.mark_reported(fig, _Cal(), load_study(), "nanoporous")
    ax = fig.axes[1]
    star = [ln for ln in ax.get_lines() if ln.get_marker() == "*"]
    assert len(star) == 1 and list(star[0].get_xydata()[0]) == [50, 17.0]
    assert "target: dense 17 % at cycle 50 (study)" in [
        t.get_text() for t in ax.get_legend().get_texts()
    ]
    # the withheld nanoporous value is not a number: no marker for it
    assert not [ln for ln in ax.get_lines() if ln.get_marker() == "D"]


def test_report_carries_version_date_and_commit(summary):
    s, out = summary
    gen = s["generated"]
    assert gen["sianode_version"] == __version__
    assert gen["date_utc"].endswith("UTC") and gen["git_commit"]
    html = (out / "report.html").read_text()
    assert f"Made by sianode {__version__} (git commit {gen['git_commit']})" in html
    assert "nan-nan" not in html and "no sensitivity band run" in html
