"""Independent PyBaMM reference curves for sianode's half-cell simulator ("matching physics").

Si composite working electrode | sulfide solid electrolyte separator | Li metal, modelled with
PyBaMM's half-cell models ("working electrode": "positive"): SPMe and DFN, no mechanics, no
degradation, no thermal, no contact resistance. The solid electrolyte is PyBaMM's liquid
electrolyte in the single-ion limit (t+ = 1, constant conductivity, large constant
diffusivity): salt concentration stays uniform, only the ohmic drop remains.

Si OCP: Mark2016 lithiation / delithiation 7th-order polynomials plus a wall term W(s) so
that both ends of the 0.04-1.5 V window are reachable. Hysteresis: PyBaMM's "current
sigmoid" OCP on the Si electrode, h = -tanh(100 * I [A/m2]); at |I| >= 1.27 A/m2 the branch
selection is exact (tanh(127) == 1 in double precision). In PyBaMM's half-cell convention a
positive ("discharge") current lithiates the working electrode and selects U_lith.

Run with the PyBaMM venv (a benchmark dependency, never a runtime one):

    PYBAMM_DISABLE_TELEMETRY=true benchmarks/.venv-pybamm/bin/python \
        benchmarks/pybamm_reference.py [--out tests/data/pybamm]

Writes params.json and one CSV per run into the output directory.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("PYBAMM_DISABLE_TELEMETRY", "true")

import numpy as np  # noqa: E402
import pybamm  # noqa: E402

F = 96485.33212
REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "tests" / "data" / "pybamm"

# Matching-physics parameter set (SI). These exact keys are written to params.json.
PARAMS: dict = {
    "area_m2": math.pi * 0.005**2,  # 10 mm pellet = 7.853981633974483e-05
    "electrode_thickness_m": 1.5e-05,
    "si_volume_fraction": 0.27,
    "se_volume_fraction_electrode": 0.50,
    "separator_thickness_m": 6.0e-04,
    "se_volume_fraction_separator": 0.85,
    "bruggeman": 1.5,
    "particle_radius_m": 1.0e-06,
    "c_max_mol_m3": 310969.0,
    "initial_stoichiometry": 0.01,
    "k0_A_m2": 0.3,
    "diffusivity_m2_s": 1.0e-12,
    "conductivity_S_m": 0.02,
    "temperature_K": 303.15,
    "counter_i0_A_m2": 10.0,
    "current_densities_A_m2": [1.27, 3.0],
    "cutoff_low_V": 0.04,
    "cutoff_high_V": 1.5,
}
THICK_ELECTRODE_M = 1.0e-04
# Electronic conductivity of the composite. The brief asked for 1e4 S/m; with that value the
# DFN's solid-potential block is so ill-conditioned that IDAKLU fails at t ~ 1e-8 s for
# most tolerances (IDA_ERR_FAIL / IDA_CONV_FAIL). 10 S/m is still 500x the ionic
# conductivity: its ohmic drop is below L*j/(2*sigma) = 2.3 uV for the 15 um electrode at
# 3 A/m2, and capacities agree with the 1e4 S/m runs that did converge to 1e-5 relative.
ELECTRODE_SIGMA_S_M = 10.0
RTOL, ATOL = 1e-7, 1e-9  # main solve
CHECK_RTOL, CHECK_ATOL = 1e-6, 1e-6  # looser cross-check solve: numerical-error estimate
ELECTROLYTE_D_M2_S = 1.0e-9  # irrelevant for t+ = 1, constant
OCP_OPTION = ("single", "current sigmoid")  # (Li counter, Si working): must be a tuple
MODELS = {"SPMe": pybamm.lithium_ion.SPMe, "DFN": pybamm.lithium_ion.DFN}
N_SAMPLES = 480  # output points per half cycle (uniform in time, plus the end point)

LITH_COEFFS = [-96.63, 372.6, -587.6, 489.9, -232.8, 62.99, -9.286, 0.8633]
DELITH_COEFFS = [-51.02, 161.3, -205.7, 140.2, -58.76, 16.87, -3.792, 0.9937]


# ----------------------------------------------------------------------------- Si functions
def _poly7(coeffs, s):
    u = 0 * s
    for k, c in enumerate(coeffs):
        u = u + c * s ** (7 - k)
    return u


def ocp_wall(s):
    """W(s) = 0.8 exp(-s/0.005) - 0.8 exp(-(1-s)/0.005) (works for floats and pybamm)."""
    exp = pybamm.exp if isinstance(s, pybamm.Symbol) else np.exp
    return 0.8 * exp(-s / 0.005) - 0.8 * exp(-(1 - s) / 0.005)


def si_ocp_lithiation(sto):
    return _poly7(LITH_COEFFS, sto) + ocp_wall(sto)


def si_ocp_delithiation(sto):
    return _poly7(DELITH_COEFFS, sto) + ocp_wall(sto)


def si_ocp_average(sto):
    return 0.5 * (si_ocp_lithiation(sto) + si_ocp_delithiation(sto))


def _si_exchange_current(k0: float):
    def j0(c_e, c_s_surf, c_s_max, T):
        # i0 = k0 sqrt(s (1 - s)) per unit particle surface area; no c_e, no Arrhenius
        s = c_s_surf / c_s_max
        return k0 * (s * (1 - s)) ** 0.5 + 0 * c_e

    return j0


def _const3(value: float):
    def f(a, b, T):
        return value + 0 * a

    return f


def _const2(value: float):
    def f(a, T):
        return value + 0 * a

    return f


# ----------------------------------------------------------------------------- parameters
def theoretical_capacity_Ah(p: dict, thickness_m: float | None = None) -> float:
    """Li capacity of the Si for s in [0, 1] (c_max basis)."""
    L = p["electrode_thickness_m"] if thickness_m is None else thickness_m
    return p["si_volume_fraction"] * L * p["area_m2"] * p["c_max_mol_m3"] * F / 3600.0


def one_c_current_density(p: dict, thickness_m: float) -> float:
    """A/m2 that lithiates the electrode from s0 to 1 in one hour (c_max basis)."""
    q = p["si_volume_fraction"] * thickness_m * p["c_max_mol_m3"] * F  # C/m2 for s 0->1
    return q * (1.0 - p["initial_stoichiometry"]) / 3600.0


def parameter_values(p: dict | None = None, thickness_m: float | None = None):
    """pybamm.ParameterValues for the matching-physics half cell."""
    p = PARAMS if p is None else p
    L = p["electrode_thickness_m"] if thickness_m is None else thickness_m
    side = math.sqrt(p["area_m2"])
    T = p["temperature_K"]
    c_max = p["c_max_mol_m3"]
    brug = p["bruggeman"]
    pv = pybamm.ParameterValues("OKane2022_graphite_SiOx_halfcell")
    pv.update(
        {
            # cell / protocol
            "Electrode height [m]": side,
            "Electrode width [m]": side,
            "Number of electrodes connected in parallel to make a cell": 1.0,
            "Nominal cell capacity [A.h]": theoretical_capacity_Ah(p, L),
            "Current function [A]": p["current_densities_A_m2"][0] * p["area_m2"],
            "Lower voltage cut-off [V]": p["cutoff_low_V"] - 0.5,  # experiment cut-offs rule
            "Upper voltage cut-off [V]": p["cutoff_high_V"] + 0.5,
            "Open-circuit voltage at 0% SOC [V]": 0.0,
            "Open-circuit voltage at 100% SOC [V]": 2.0,
            "Ambient temperature [K]": T,
            "Initial temperature [K]": T,
            "Reference temperature [K]": T,
            "Contact resistance [Ohm]": 0.0,
            # Li metal counter electrode (OCP 0 V, symmetric BV, constant i0)
            "Negative electrode OCP [V]": 0.0,
            "Negative electrode OCP entropic change [V.K-1]": 0.0,
            "Exchange-current density for lithium metal electrode [A.m-2]": _const3(
                p["counter_i0_A_m2"]
            ),
            "Negative electrode charge transfer coefficient": 0.5,
            # separator = solid electrolyte pellet
            "Separator thickness [m]": p["separator_thickness_m"],
            "Separator porosity": p["se_volume_fraction_separator"],
            "Separator Bruggeman coefficient (electrolyte)": brug,
            # single-ion solid electrolyte inside PyBaMM's liquid-electrolyte equations
            "Initial concentration in electrolyte [mol.m-3]": 1000.0,
            "Cation transference number": 1.0,
            "Thermodynamic factor": 1.0,
            "Electrolyte conductivity [S.m-1]": _const2(p["conductivity_S_m"]),
            "Electrolyte diffusivity [m2.s-1]": _const2(ELECTROLYTE_D_M2_S),
            # Si composite working electrode ("positive" in PyBaMM's half-cell convention)
            "Positive electrode thickness [m]": L,
            "Positive electrode porosity": p["se_volume_fraction_electrode"],
            "Positive electrode active material volume fraction": p["si_volume_fraction"],
            "Positive electrode Bruggeman coefficient (electrolyte)": brug,
            "Positive electrode Bruggeman coefficient (electrode)": 0.0,
            "Positive electrode conductivity [S.m-1]": ELECTRODE_SIGMA_S_M,
            "Maximum concentration in positive electrode [mol.m-3]": c_max,
            "Initial concentration in positive electrode [mol.m-3]": p["initial_stoichiometry"]
            * c_max,
            "Positive particle radius [m]": p["particle_radius_m"],
            "Positive particle diffusivity [m2.s-1]": _const2(p["diffusivity_m2_s"]),
            "Positive electrode OCP [V]": si_ocp_average,
            "Positive electrode lithiation OCP [V]": si_ocp_lithiation,
            "Positive electrode delithiation OCP [V]": si_ocp_delithiation,
            "Positive electrode OCP entropic change [V.K-1]": 0.0,
            "Positive electrode exchange-current density [A.m-2]": _si_exchange_current(
                p["k0_A_m2"]
            ),
            "Positive electrode charge transfer coefficient": 0.5,
            "Positive electrode density [kg.m-3]": 2329.0,
        },
        check_already_exists=False,
    )
    return pv


def model_options() -> dict:
    return {"working electrode": "positive", "open-circuit potential": OCP_OPTION}


def cycle_experiment(
    p: dict, current_A: float, t_limit_h: float, period_s: float
) -> pybamm.Experiment:
    lo, hi = p["cutoff_low_V"], p["cutoff_high_V"]
    # The period sets the spacing of the solver's stored output points.
    return pybamm.Experiment(
        [
            (
                f"Discharge at {current_A:.10g} A for {t_limit_h:.4g} hours or until {lo:g} V",
                f"Charge at {current_A:.10g} A for {t_limit_h:.4g} hours or until {hi:g} V",
            )
        ]
    )


# ----------------------------------------------------------------------------- one run
def run_cycle(
    model_name: str,
    j_A_m2: float,
    thickness_m: float | None = None,
    p=None,
    rtol: float = RTOL,
    atol: float = ATOL,
):
    """Solve one lithiation + delithiation; return (solution, info dict)."""
    p = PARAMS if p is None else p
    L = p["electrode_thickness_m"] if thickness_m is None else thickness_m
    current = j_A_m2 * p["area_m2"]
    t_full_h = theoretical_capacity_Ah(p, L) / current
    t_limit_h = 1.5 * t_full_h + 1.0
    model = MODELS[model_name](model_options())
    sim = pybamm.Simulation(
        model,
        parameter_values=parameter_values(p, L),
        experiment=cycle_experiment(p, current, t_limit_h, t_full_h * 3600 / N_SAMPLES),
        solver=pybamm.IDAKLUSolver(rtol=rtol, atol=atol),
    )
    t0 = time.perf_counter()
    sol = sim.solve()
    wall = time.perf_counter() - t0
    info = {
        "model": model_name,
        "current_density_A_m2": j_A_m2,
        "current_A": current,
        "electrode_thickness_m": L,
        "step_time_limit_h": t_limit_h,
        "wall_s": wall,
        "termination": str(sol.termination),
        "n_states": int(sol.all_ys[0].shape[0]),
    }
    return sol, info


def sample_cycle(sol, n: int = N_SAMPLES):
    """Rows (t, V, I, Q_mAh, s_avg, step) sampled uniformly in time per half cycle."""
    rows = []
    summaries = []
    names = ["lithiation", "delithiation"]
    for k, step in enumerate(sol.cycles[0].steps[:2]):
        t_raw = step["Time [s]"].entries
        t = np.linspace(t_raw[0], t_raw[-1], n + 1)
        V = step["Voltage [V]"](t)
        cur = step["Current [A]"](t)
        qd = step["Discharge capacity [A.h]"](t)
        s = step["Average positive particle stoichiometry"](t)
        q = np.abs(qd - qd[0]) * 1e3
        for row in zip(t, V, cur, q, s, strict=True):
            rows.append((*row, names[k]))
        summaries.append(
            {
                "step": names[k],
                "duration_h": float((t[-1] - t[0]) / 3600),
                "capacity_mAh": float(q[-1]),
                "V_start": float(V[0]),
                "V_end": float(V[-1]),
                "s_start": float(s[0]),
                "s_end": float(s[-1]),
                "n_raw_points": len(t_raw),
                "losses_at_start_V": _losses(step, t[1]),
            }
        )
    return rows, summaries


def cross_check(model_name, j, L, p, rows) -> dict:
    """Re-solve with looser tolerances; max |dV| and |dQ| on the same time grid."""
    try:
        sol, _ = run_cycle(model_name, j, L, p, rtol=CHECK_RTOL, atol=CHECK_ATOL)
        rows2, _ = sample_cycle(sol)
    except Exception as e:
        return {"error": f"{type(e).__name__}: {e}"[:300]}
    out = {}
    for name in ("lithiation", "delithiation"):
        a = np.array([r[:5] for r in rows if r[5] == name])
        b = np.array([r[:5] for r in rows2 if r[5] == name])
        if len(b) == 0:
            out[name] = "missing in cross-check"
            continue
        vb = np.interp(a[:, 0], b[:, 0], b[:, 1])
        # ignore the last few points where the two runs stop at slightly different times
        mask = a[:, 0] <= min(a[-1, 0], b[-1, 0])
        out[name] = {
            "max_abs_dV_V": float(np.max(np.abs(vb[mask] - a[mask, 1]))),
            "d_capacity_mAh": float(b[-1, 3] - a[-1, 3]),
        }
    return out


LOSS_VARIABLES = {
    "electrolyte_ohmic": "X-averaged electrolyte ohmic losses [V]",
    "si_reaction_overpotential": "X-averaged positive electrode reaction overpotential [V]",
    "li_counter_overpotential": "Lithium metal interface reaction overpotential [V]",
    "solid_ohmic": "X-averaged solid phase ohmic losses [V]",
    "si_ocp": "X-averaged positive electrode open-circuit potential [V]",
    "voltage": "Voltage [V]",
}


def _losses(step, t: float) -> dict:
    out = {}
    for key, var in LOSS_VARIABLES.items():
        try:
            out[key] = float(np.squeeze(step[var](t)))
        except Exception as e:  # variable naming differs between PyBaMM versions
            out[key] = f"n/a ({type(e).__name__})"
    return out


def write_csv(path: Path, rows) -> None:
    with open(path, "w") as f:
        f.write("time_s,voltage_V_vs_Li,current_A,capacity_mAh,stoichiometry_avg,step\n")
        for t, v, i, q, s, name in rows:
            f.write(f"{t:.6g},{v:.7f},{i:.7g},{q:.7g},{s:.7f},{name}\n")


def ir_drop_estimate(p: dict, j: float, thickness_m: float | None = None) -> dict:
    """Analytic ohmic terms, for the sanity report (not used by the model)."""
    L = p["electrode_thickness_m"] if thickness_m is None else thickness_m
    b = p["bruggeman"]
    r_sep = p["separator_thickness_m"] / (
        p["conductivity_S_m"] * p["se_volume_fraction_separator"] ** b
    )
    r_el = L / (p["conductivity_S_m"] * p["se_volume_fraction_electrode"] ** b)
    return {
        "separator_ASR_ohm_m2": r_sep,
        "separator_drop_V": r_sep * j,
        "electrode_ionic_ASR_ohm_m2": r_el,
        "electrode_drop_uniform_reaction_V": r_el * j / 3.0,
    }


# ----------------------------------------------------------------------------- main
RUNS = [
    # (file stem, model, current density key or value, thickness)
    ("spme_c0p127", "SPMe", 1.27, None),
    ("dfn_c0p127", "DFN", 1.27, None),
    ("dfn_c3p0", "DFN", 3.0, None),
    ("dfn_thick_1C", "DFN", "thick_1C", THICK_ELECTRODE_M),
    # 1C (222.8 A/m2) is infeasible: the separator alone drops 8.5 V. C/50 is written instead.
    ("dfn_thick_C50", "DFN", "thick_C50", THICK_ELECTRODE_M),
]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--only", nargs="*", default=None, help="file stems to (re)run")
    a = ap.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)

    p = dict(PARAMS)
    j1c = one_c_current_density(p, THICK_ELECTRODE_M)
    params = dict(p)
    params["thick_electrode_thickness_m"] = THICK_ELECTRODE_M
    params["thick_1C_current_density_A_m2"] = j1c
    params["theoretical_capacity_mAh"] = theoretical_capacity_Ah(p) * 1e3
    params["theoretical_capacity_s0_to_1_mAh"] = (
        theoretical_capacity_Ah(p) * 1e3 * (1 - p["initial_stoichiometry"])
    )
    results = {}
    for stem, model_name, j, L in RUNS:
        if a.only and stem not in a.only:
            continue
        jj = {"thick_1C": j1c, "thick_C50": j1c / 50}.get(j, j)
        try:
            sol, info = run_cycle(model_name, jj, L, p)
            rows, summ = sample_cycle(sol)
            write_csv(a.out / f"{stem}.csv", rows)
            info["half_cycles"] = summ
            info["cross_check"] = cross_check(model_name, jj, L, p, rows)
        except Exception as e:  # record the PyBaMM failure, keep going
            info = {
                "model": model_name,
                "current_density_A_m2": jj,
                "error": f"{type(e).__name__}: {e}"[:1000],
            }
        info["ohmic_estimate"] = ir_drop_estimate(p, jj, L)
        results[stem] = info
        print(json.dumps({stem: info}, indent=1), flush=True)

    params["pybamm"] = {
        "version": pybamm.__version__,
        "models": {stem: f"pybamm.lithium_ion.{m}" for stem, m, _, _ in RUNS},
        "options": {k: list(v) if isinstance(v, tuple) else v for k, v in model_options().items()},
        "solver": f"pybamm.IDAKLUSolver(rtol={RTOL:g}, atol={ATOL:g})",
        "cross_check_solver": f"pybamm.IDAKLUSolver(rtol={CHECK_RTOL:g}, atol={CHECK_ATOL:g})",
        "base_parameter_set": "OKane2022_graphite_SiOx_halfcell (all Si/SE/Li values overridden)",
        "kinetics": "symmetric Butler-Volmer (PyBaMM default): j = 2 j0 sinh(F eta / (2 R T))",
        "electrolyte": {
            "cation_transference_number": 1.0,
            "diffusivity_m2_s": ELECTROLYTE_D_M2_S,
            "initial_concentration_mol_m3": 1000.0,
            "conductivity": "constant",
        },
        "electrode_electronic_conductivity_S_m": ELECTRODE_SIGMA_S_M,
        "electrode_bruggeman_electronic": 0.0,
        "hysteresis": "current sigmoid: h = -tanh(100 * I[A/m2]); U = (1+h)/2 U_delith + "
        "(1-h)/2 U_lith",
        "mesh": "PyBaMM default var_pts (x_n=20, x_s=20, x_p=20, r_p=20 for DFN/SPMe)",
        "samples_per_half_cycle": N_SAMPLES + 1,
        "python": sys.version.split()[0],
        "runs": results,
    }
    params_path = a.out / "params.json"
    if a.only and params_path.exists():  # keep results of runs not redone
        old = json.loads(params_path.read_text())
        old_runs = old.get("pybamm", {}).get("runs", {})
        old_runs.update(results)
        params["pybamm"]["runs"] = old_runs
    params_path.write_text(json.dumps(params, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
