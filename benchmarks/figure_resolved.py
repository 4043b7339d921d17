"""Figure for docs/resolved-model.md: a thick composite where the reduced and resolved models
differ, against PyBaMM's DFN.

Writes ``docs/figures/resolved_vs_reduced_thick.png`` (and a JSON of the numbers next to it).

- 100 um composite at 1C/50 (``tests/data/pybamm/dfn_thick_C50.csv``, committed reference).
- The same composite at 1C/20, where the electrolyte loss in the composite is larger: the DFN
  curve and its reaction distribution are computed live with PyBaMM when the PyBaMM venv
  (``benchmarks/.venv-pybamm``) exists; otherwise that panel shows only sianode's models.

Usage::

    .venv/bin/python benchmarks/figure_resolved.py [--out docs/figures]

The PyBaMM side runs in its own venv through a subprocess (``--pybamm-worker`` mode of this
script, same physics as ``benchmarks/pybamm_reference.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "pybamm"
PYBAMM_PY = ROOT / "benchmarks" / ".venv-pybamm" / "bin" / "python"
FRACTIONS = (0.05, 0.5, 0.9)  # of the lithiation time, for the reaction distribution


# ----------------------------------------------------------------------------- PyBaMM worker
def pybamm_worker(j_A_m2: float, thickness_m: float) -> dict:
    """Run in the PyBaMM venv: one DFN cycle and the lithiation reaction distribution."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import pybamm_reference as ref  # noqa: PLC0415

    sol, info = ref.run_cycle("DFN", j_A_m2, thickness_m, ref.PARAMS)
    rows, _ = ref.sample_cycle(sol)
    out = {"info": info, "curves": {}}
    for name in ("lithiation", "delithiation"):
        r = [row for row in rows if row[5] == name]
        out["curves"][name] = {
            "t": [row[0] for row in r],
            "V": [row[1] for row in r],
            "Q_mAh": [row[3] for row in r],
        }
    step = sol.cycles[0].steps[0]
    t = step["Time [s]"].entries
    x = step["x_p [m]"].entries[:, 0]
    dx = x[1] - x[0]  # uniform mesh of cell centres
    xn = (x - (x.min() - 0.5 * dx)) / (x.max() - x.min() + dx)  # 0 separator .. 1 collector
    jloc = step["Positive electrode interfacial current density [A.m-2]"]
    dist = []
    for fr in FRACTIONS:
        tt = t[0] + fr * (t[-1] - t[0])
        v = np.asarray(jloc(t=tt, x=x)).ravel()
        dist.append({"fraction": fr, "x": xn.tolist(), "j_rel": (v / v.mean()).tolist()})
    out["distribution"] = dist
    return out


def run_pybamm(j_A_m2: float, thickness_m: float) -> dict | None:
    if not PYBAMM_PY.exists():
        return None
    env = dict(os.environ, PYBAMM_DISABLE_TELEMETRY="true")
    proc = subprocess.run(
        [str(PYBAMM_PY), __file__, "--pybamm-worker", str(j_A_m2), str(thickness_m)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        print(proc.stderr[-2000:], file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- sianode side
def sianode_runs(j_A_m2: float, thickness_m: float, n_nodes: int = 20):
    sys.path.insert(0, str(ROOT / "tests" / "simulation"))
    from test_resolved import MATCHING, one_cycle, pybamm_cell  # noqa: PLC0415

    from sianode.simulation import simulate  # noqa: PLC0415
    from sianode.simulation.resolved import simulate_resolved  # noqa: PLC0415

    cell = pybamm_cell(thickness_m)
    proto = one_cycle(j_A_m2 / 10)
    res = simulate_resolved(cell, proto, MATCHING, n_nodes=n_nodes, dv_max=0.002)
    red = simulate(cell, proto, MATCHING, dv_max=0.002)
    return res, red


def half_cycles(ts) -> dict:
    out = {}
    t0 = 0.0
    for step, name in ((1, "lithiation"), (2, "delithiation")):
        part = ts[ts["Step Count / 1"] == step]
        t = part["Test Time / s"].to_numpy()
        i = abs(part["Current / A"].to_numpy())
        out[name] = {
            "t": t - t0,
            "V": part["Voltage vs Li / V"].to_numpy(),
            "Q_mAh": (t - t0) * i / 3.6,
        }
        t0 = t[-1]
    return out


def rms_mV(a: dict, b: dict) -> float:
    sq = []
    for name in ("lithiation", "delithiation"):
        ta, va = np.asarray(a[name]["t"]), np.asarray(a[name]["V"])
        tb, vb = np.asarray(b[name]["t"]) - b[name]["t"][0], np.asarray(b[name]["V"])
        g = np.linspace(0, min(ta[-1], tb[-1]), 2000)
        sq.append((np.interp(g, ta, va) - np.interp(g, tb, vb)) ** 2)
    return 1e3 * float(np.sqrt(np.mean(np.concatenate(sq))))


def node_distribution(res) -> list[dict]:
    ts = res.timeseries
    nts = res.info["node_timeseries"]
    lith = np.where(ts["Step Count / 1"].to_numpy() == 1)[0]
    t = ts["Test Time / s"].to_numpy()[lith]
    xn = res.info["node_positions_m"] / res.cell.electrode_thickness
    out = []
    for fr in FRACTIONS:
        k = lith[np.searchsorted(t, t[0] + fr * (t[-1] - t[0]))]
        cur = nts[k, 0, :]
        out.append({"fraction": fr, "x": xn.tolist(), "j_rel": (cur / cur.mean()).tolist()})
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "figures")
    ap.add_argument("--pybamm-worker", nargs=2, type=float, metavar=("J_A_M2", "L_M"))
    a = ap.parse_args(argv)
    if a.pybamm_worker:
        print(json.dumps(pybamm_worker(*a.pybamm_worker)))
        return 0

    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    params = json.loads((DATA / "params.json").read_text())
    L = params["thick_electrode_thickness_m"]
    j1c = params["thick_1C_current_density_A_m2"]
    cases = []
    # case 1: committed reference at 1C/50
    df = pd.read_csv(DATA / "dfn_thick_C50.csv")
    ref50 = {}
    for name in ("lithiation", "delithiation"):
        part = df[df["step"] == name]
        ref50[name] = {
            "t": part["time_s"].to_numpy(),
            "V": part["voltage_V_vs_Li"].to_numpy(),
            "Q_mAh": part["capacity_mAh"].to_numpy(),
        }
    res50, red50 = sianode_runs(j1c / 50, L)
    cases.append(("1C/50 (committed DFN reference)", j1c / 50, ref50, None, res50, red50))
    # case 2: live PyBaMM at 1C/20
    live = run_pybamm(j1c / 20, L)
    res20, red20 = sianode_runs(j1c / 20, L)
    ref20 = live["curves"] if live else None
    cases.append(("1C/20 (DFN run live)", j1c / 20, ref20, live, res20, red20))

    fig, axes = plt.subplots(2, 3, figsize=(15, 8.5))
    summary = {}
    for row, (label, j, ref, live_out, res, red) in enumerate(cases):
        hres, hred = half_cycles(res.timeseries), half_cycles(red.timeseries)
        ax, axd, axj = axes[row]
        for name, ls in (("lithiation", "-"), ("delithiation", "--")):
            if ref is not None:
                ax.plot(
                    ref[name]["Q_mAh"],
                    ref[name]["V"],
                    "k",
                    ls=ls,
                    lw=3,
                    alpha=0.35,
                    label=f"PyBaMM DFN ({name})",
                )
            ax.plot(
                hres[name]["Q_mAh"],
                hres[name]["V"],
                "C0",
                ls=ls,
                lw=1.2,
                label=f"resolved, 20 nodes ({name})",
            )
            ax.plot(
                hred[name]["Q_mAh"], hred[name]["V"], "C3", ls=ls, lw=1.2, label=f"reduced ({name})"
            )
        ax.set_xlabel("capacity in the half cycle [mAh]")
        ax.set_ylabel("voltage vs Li [V]")
        ax.set_title(f"100 um composite, {label}: {j / 10:.3g} mA/cm2", fontsize=9)
        ax.legend(fontsize=7)
        entry = {"current_density_A_m2": j}
        if ref is not None:
            for name, ls in (("lithiation", "-"), ("delithiation", "--")):
                tr = np.asarray(ref[name]["t"]) - ref[name]["t"][0]
                vr = np.asarray(ref[name]["V"])
                for h, col, lab in ((hres, "C0", "resolved"), (hred, "C3", "reduced")):
                    g = np.linspace(0, min(tr[-1], h[name]["t"][-1]), 1000)
                    dv = np.interp(g, h[name]["t"], h[name]["V"]) - np.interp(g, tr, vr)
                    q = g * (j * params["area_m2"]) / 3.6
                    axd.plot(q, 1e3 * dv, col, ls=ls, label=f"{lab} - DFN ({name})")
            entry["rms_resolved_vs_dfn_mV"] = rms_mV(hres, ref)
            entry["rms_reduced_vs_dfn_mV"] = rms_mV(hred, ref)
            axd.set_title(
                f"difference to DFN: RMS resolved {entry['rms_resolved_vs_dfn_mV']:.2f} mV, "
                f"reduced {entry['rms_reduced_vs_dfn_mV']:.2f} mV",
                fontsize=9,
            )
            axd.legend(fontsize=7)
        else:
            axd.set_title("PyBaMM venv not available: no DFN reference", fontsize=9)
        axd.axhline(0, color="k", lw=0.5)
        axd.set_xlabel("capacity in the half cycle [mAh]")
        axd.set_ylabel("model - DFN [mV]")
        entry["capacity_mAh"] = {
            "resolved": [
                float(res.cycles[c].iloc[0])
                for c in ("Lithiation Capacity / mAh", "Delithiation Capacity / mAh")
            ],
            "reduced": [
                float(red.cycles[c].iloc[0])
                for c in ("Lithiation Capacity / mAh", "Delithiation Capacity / mAh")
            ],
        }
        for k, d in enumerate(node_distribution(res)):
            axj.plot(
                d["x"],
                d["j_rel"],
                "o-",
                color=f"C{k}",
                ms=3,
                label=f"resolved, {100 * d['fraction']:.0f} % of lithiation",
            )
        if live_out is not None:
            for k, d in enumerate(live_out["distribution"]):
                axj.plot(
                    d["x"],
                    d["j_rel"],
                    "x",
                    color=f"C{k}",
                    ms=6,
                    label=f"DFN, {100 * d['fraction']:.0f} %",
                )
        axj.axhline(1.0, color="k", lw=0.5)
        axj.set_xlabel("position: separator (0) to current collector (1)")
        axj.set_ylabel("local reaction current / mean [-]")
        axj.set_title(
            "reaction distribution during lithiation (reduced model: 1 everywhere)", fontsize=9
        )
        axj.legend(fontsize=7)
        summary[label] = entry
    fig.tight_layout()
    a.out.mkdir(parents=True, exist_ok=True)
    path = a.out / "resolved_vs_reduced_thick.png"
    fig.savefig(path, dpi=110)
    (a.out / "resolved_vs_reduced_thick.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(json.dumps(summary, indent=1))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
