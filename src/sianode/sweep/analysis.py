"""Analysis of a finished (or partial) sweep: retention maps, Pareto front, sensitivities.

- **Retention map** over two parameters: mean and best (max) retention over all the other
  parameters at each grid point (a scatter / triangulated map when the two parameters were
  sampled rather than gridded).
- **Pareto front** of initial capacity (cycle-1 lithiation, mAh per g Si) vs retention: the
  designs no other design beats on both.
- **Sensitivity ranking** of every input on every output: Spearman rank correlation
  (monotone association, sign included) and a given-data estimate of the first-order Sobol
  index ``S1 = Var(E[Y | X_i]) / Var(Y)`` (binning X_i into its grid values or quantile bins;
  valid for grids, Latin hypercube and Sobol samples alike, no special design needed).

A design that died before the retention cycle (status ``died`` or ``capacity_zero``) counts
as retention 0; designs that could not start, were invalid or errored are left out and
counted.
"""

from __future__ import annotations

import base64
import html
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError
from .store import StoreWriteError, atomic_write_bytes, read_meta, read_results

__all__ = [
    "Analysis",
    "analyse",
    "write_report",
    "pareto_front",
    "spearman_table",
    "sobol_first_order",
]

_DIED = ("died", "capacity_zero")


def _name(col: str) -> str:
    return col.split(" / ")[0]


# words of parameter names a person writes otherwise
_WORDS = {"bet": "BET", "se": "SE", "si": "Si", "li15si4": "Li15Si4", "c": "c", "i0": "i0"}


def label(col: str) -> str:
    """A results column or parameter name as a person reads it, for plots and tables:
    ``"particle_radius / um"`` -> ``"particle radius [um]"``, ``"bet_area / m2/g"`` ->
    ``"BET area [m2/g]"``; output columns (``"Retention vs Cycle 50 Lithiation / 1"``) keep
    their words. Dimensionless units (``1``) are left out."""
    name, _, unit = col.partition(" / ")
    if "_" in name or name.islower():
        name = " ".join(_WORDS.get(w, w) for w in name.split("_"))
    return f"{name} [{unit}]" if unit and unit != "1" else name


def _labels(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its columns (and a parameter-name index) renamed by :func:`label`."""
    out = df.rename(columns={c: label(str(c)) for c in df.columns})
    if not pd.api.types.is_numeric_dtype(out.index):
        out = out.rename(index={i: label(str(i)) for i in out.index})
    return out


def pareto_front(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Indices of the points not dominated when maximising both ``x`` and ``y``, ordered by
    decreasing ``x``."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    ok = np.nonzero(np.isfinite(x) & np.isfinite(y))[0]
    order = ok[np.lexsort((-y[ok], -x[ok]))]
    front = []
    best = -np.inf
    for i in order:
        if y[i] > best:
            front.append(i)
            best = y[i]
    return np.array(front, dtype=np.int64)


def spearman_table(df: pd.DataFrame, inputs: list[str], outputs: list[str]) -> pd.DataFrame:
    """Spearman rank correlation of each input (rows) with each output (columns); NaN where
    an input or output is constant or has fewer than 3 finite values."""
    from scipy.stats import spearmanr

    out = pd.DataFrame(index=[_name(c) for c in inputs], columns=outputs, dtype=float)
    for o in outputs:
        y = df[o].to_numpy(float)
        for i in inputs:
            x = df[i].to_numpy(float)
            ok = np.isfinite(x) & np.isfinite(y)
            if ok.sum() < 3 or np.ptp(x[ok]) == 0 or np.ptp(y[ok]) == 0:
                continue
            out.loc[_name(i), o] = float(spearmanr(x[ok], y[ok]).statistic)
    return out


def sobol_first_order(
    df: pd.DataFrame, inputs: list[str], outputs: list[str], max_bins: int = 20
) -> pd.DataFrame:
    """Given-data first-order Sobol index estimate ``Var(E[Y|X_i]) / Var(Y)`` per input/output.

    X_i is binned into its distinct values (grid axes, up to ``max_bins``) or into
    ``min(max_bins, sqrt(n))`` quantile bins. With correlated or very few samples the
    estimate is biased upwards (each bin mean is noisy); read it as a ranking.
    """
    out = pd.DataFrame(index=[_name(c) for c in inputs], columns=outputs, dtype=float)
    for o in outputs:
        y_all = df[o].to_numpy(float)
        for i in inputs:
            x = df[i].to_numpy(float)
            ok = np.isfinite(x) & np.isfinite(y_all)
            if ok.sum() < 4:
                continue
            xs, y = x[ok], y_all[ok]
            var = y.var()
            if var <= 0:
                continue
            uniq = np.unique(xs)
            if len(uniq) <= max_bins:
                codes = np.searchsorted(uniq, xs)
            else:
                nb = int(min(max_bins, max(2, math.sqrt(len(xs)))))
                edges = np.quantile(xs, np.linspace(0, 1, nb + 1)[1:-1])
                codes = np.searchsorted(edges, xs, side="right")
            counts = np.bincount(codes)
            sums = np.bincount(codes, weights=y)
            nz = counts > 0
            means = sums[nz] / counts[nz]
            s1 = float(np.sum(counts[nz] * (means - y.mean()) ** 2) / len(y) / var)
            out.loc[_name(i), o] = s1
    return out


@dataclass
class Analysis:
    """Numbers behind the report (see the module docstring).

    Attributes
    ----------
    results : pandas.DataFrame
        All rows of the sweep folder.
    usable : pandas.DataFrame
        Rows used in the analysis (retention of died designs set to 0).
    inputs, outputs : list of str
        Swept parameter columns and output columns (with units).
    retention, capacity : str or None
        Columns used for the map and the Pareto front.
    map_params : tuple of str or None
        Input columns of the retention map.
    pareto : pandas.DataFrame
        Pareto-optimal designs.
    spearman, sobol_s1 : pandas.DataFrame
        Sensitivities (inputs x outputs).
    failures : pandas.DataFrame
        Designs that did not complete, by status and reason (:func:`failure_table`).
    skipped : list of (str, str)
        Unreadable result files left out, with the reason.
    """

    folder: Path
    results: pd.DataFrame
    usable: pd.DataFrame
    inputs: list[str]
    outputs: list[str]
    retention: str | None
    capacity: str | None
    map_params: tuple[str, str] | None
    pareto: pd.DataFrame
    spearman: pd.DataFrame
    sobol_s1: pd.DataFrame
    status_counts: dict[str, int] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    failures: pd.DataFrame = field(default_factory=pd.DataFrame)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def n_failed(self) -> int:
        """Designs in the folder whose status is not ``completed``."""
        return int(sum(v for k, v in self.status_counts.items() if k != "completed"))

    def ranking(self, output: str | None = None) -> pd.DataFrame:
        """Inputs ranked by |Spearman rho| on ``output`` (default: the retention column)."""
        o = output or self.retention or (self.outputs[0] if self.outputs else None)
        if o is None or o not in self.spearman:
            return pd.DataFrame(columns=["spearman_rho", "sobol_S1"])
        r = pd.DataFrame({"spearman_rho": self.spearman[o], "sobol_S1": self.sobol_s1[o]})
        return r.reindex(r["spearman_rho"].abs().sort_values(ascending=False).index)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "n_results": len(self.results),
            "status_counts": self.status_counts,
            "n_failed": self.n_failed,
            "failures": self.failures.to_dict("records"),
            "skipped_parts": [{"part": p, "reason": r} for p, r in self.skipped],
            "retention": self.retention,
            "capacity": self.capacity,
            "map": list(self.map_params) if self.map_params else None,
            "ranking": self.ranking().reset_index(names="parameter").to_dict("records"),
            "pareto": self.pareto.to_dict("records"),
        }


def _values(x: pd.Series) -> str:
    v = np.unique(x.to_numpy(float))
    text = ", ".join(f"{u:g}" for u in v[:8])
    return text + (f", ... ({len(v)} values)" if len(v) > 8 else "")


def _where(bad: pd.DataFrame, results: pd.DataFrame, inputs: list[str]) -> str:
    """Where in the design space the designs of ``bad`` lie: the inputs whose failure rate
    depends on their value (largest spread first); under the first, the values of the
    others at each of its failing values."""
    rel: list[tuple[float, str]] = []
    for c in inputs:
        rate = (bad[c].value_counts() / results[c].value_counts()).fillna(0.0)
        if rate.max() - rate.min() > 1e-12:
            rel.append((float(rate.max() - rate.min()), c))
    if not rel:
        return "at every value of every input"
    cols = [c for _, c in sorted(rel, key=lambda t: -t[0])]
    first, rest = cols[0], cols[1:]
    if not rest:
        return f"{first}: {_values(bad[first])}"
    parts = []
    for v, sub in bad.groupby(first):
        here = results[results[first] == v]
        others = [f"{c}: {_values(sub[c])}" for c in rest if sub[c].nunique() < here[c].nunique()]
        parts.append(f"{first} = {v:g}" + (f" with {'; '.join(others)}" if others else ""))
    return " | ".join(parts)


def failure_table(results: pd.DataFrame, inputs: list[str]) -> pd.DataFrame:
    """Designs that did not complete, by ``status`` and ``error``: ``count`` and ``where``
    (the inputs the failure depends on and their failing values, see :func:`_where`)."""
    cols = ["status", "error", "count", "where"]
    if not len(results):
        return pd.DataFrame(columns=cols)
    bad = results[results["status"] != "completed"]
    rows = []
    for (status, error), grp in bad.groupby(["status", "error"], sort=False):
        rows.append([status, error, len(grp), _where(grp, results, inputs)])
    df = pd.DataFrame(rows, columns=cols)
    return df.sort_values("count", ascending=False).reset_index(drop=True)


def _resolve_param(name: str, inputs: list[str]) -> str:
    for c in inputs:
        if c == name or _name(c) == name:
            return c
    raise ParameterError(
        f"--map: {name!r} is not a swept parameter; swept: {', '.join(_name(c) for c in inputs)}"
    )


def analyse(folder: str | Path, map_params: tuple[str, ...] | None = None) -> Analysis:
    """Analyse the sweep folder ``folder`` (see the module docstring)."""
    folder = Path(folder)
    meta = read_meta(folder)
    bad: list[tuple[Path, str]] = []
    res = read_results(folder, skipped=bad)
    from .spec import column_name

    inputs = [column_name(p) for p in meta.get("parameters", []) if column_name(p) in res]
    outputs = [c for c in meta.get("outputs", []) if c in res and c != "cycles_completed / 1"]
    counts = res["status"].value_counts().to_dict() if len(res) else {}
    use = res[res["status"].isin(("completed",) + _DIED)].copy() if len(res) else res.copy()
    ret_cols = [c for c in outputs if c.startswith("retention_c")]
    retention = ret_cols[-1] if ret_cols else None
    if retention is not None and len(use):
        died = use["status"].isin(_DIED) & ~np.isfinite(use[retention].to_numpy(float))
        use.loc[died, retention] = 0.0
    cap_cols = [c for c in outputs if c.startswith("lithiation_capacity_c")]
    capacity = cap_cols[0] if cap_cols else None
    sp = spearman_table(use, inputs, outputs) if len(use) else pd.DataFrame()
    s1 = sobol_first_order(use, inputs, outputs) if len(use) else pd.DataFrame()
    mp: tuple[str, str] | None = None
    if map_params:
        if len(map_params) != 2:
            raise ParameterError(
                "--map: give exactly two parameters, e.g. porosity,particle_radius"
            )
        mp = (_resolve_param(map_params[0], inputs), _resolve_param(map_params[1], inputs))
    elif len(inputs) >= 2:
        if retention is not None and retention in sp and sp[retention].notna().sum() >= 2:
            order = sp[retention].abs().sort_values(ascending=False).index.tolist()
            by_name = {_name(c): c for c in inputs}
            mp = (by_name[order[0]], by_name[order[1]])
        else:
            mp = (inputs[0], inputs[1])
    pareto = pd.DataFrame()
    if retention and capacity and len(use):
        idx = pareto_front(use[capacity].to_numpy(float), use[retention].to_numpy(float))
        pareto = use.iloc[idx][["design_id", *inputs, capacity, retention]].reset_index(drop=True)
    return Analysis(
        folder=folder,
        results=res,
        usable=use,
        inputs=inputs,
        outputs=outputs,
        retention=retention,
        capacity=capacity,
        map_params=mp,
        pareto=pareto,
        spearman=sp,
        sobol_s1=s1,
        status_counts={str(k): int(v) for k, v in counts.items()},
        meta=meta,
        failures=failure_table(res, inputs),
        skipped=[(str(p.relative_to(folder)), r) for p, r in bad],
    )


# ----------------------------------------------------------------------------- plots


def _fig_bytes(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def plot_retention_map(a: Analysis) -> bytes | None:
    """PNG of the retention map (mean and best over the other parameters)."""
    if a.map_params is None or a.retention is None or a.usable.empty:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    px, py = a.map_params
    d = a.usable[[px, py, a.retention]].dropna()
    if d.empty:
        return None
    nx, ny = d[px].nunique(), d[py].nunique()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.3), constrained_layout=True)
    if nx <= 40 and ny <= 40 and nx * ny < len(d) + 1:
        for ax, how in zip(axes, ("mean", "max"), strict=False):
            tab = d.pivot_table(index=py, columns=px, values=a.retention, aggfunc=how)
            xs, ys = tab.columns.to_numpy(float), tab.index.to_numpy(float)
            m = ax.pcolormesh(
                np.arange(len(xs) + 1),
                np.arange(len(ys) + 1),
                tab.to_numpy(),
                cmap="viridis",
                shading="flat",
            )
            ax.set_xticks(np.arange(len(xs)) + 0.5, [f"{v:.3g}" for v in xs], rotation=45)
            ax.set_yticks(np.arange(len(ys)) + 0.5, [f"{v:.3g}" for v in ys])
            for (j, i), v in np.ndenumerate(tab.to_numpy()):
                if np.isfinite(v):
                    ax.text(
                        i + 0.5,
                        j + 0.5,
                        f"{v:.2f}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="w" if v < np.nanmax(tab.to_numpy()) * 0.6 else "k",
                    )
            ax.set_title(f"{how} over other parameters")
            ax.set_xlabel(label(px))
            ax.set_ylabel(label(py))
            fig.colorbar(m, ax=ax, label=label(a.retention))
    else:
        for ax, how in zip(axes, ("samples", "triangulated"), strict=False):
            if how == "samples":
                m = ax.scatter(d[px], d[py], c=d[a.retention], s=12, cmap="viridis")
            else:
                try:
                    m = ax.tricontourf(d[px], d[py], d[a.retention], levels=14, cmap="viridis")
                except Exception:
                    m = ax.scatter(d[px], d[py], c=d[a.retention], s=12, cmap="viridis")
            ax.set_xlabel(label(px))
            ax.set_ylabel(label(py))
            ax.set_title(how)
            fig.colorbar(m, ax=ax, label=label(a.retention))
    fig.suptitle(f"{label(a.retention)} over {label(_name(px))} x {label(_name(py))}")
    return _fig_bytes(fig)


def plot_pareto(a: Analysis) -> bytes | None:
    """PNG of initial capacity vs retention with the Pareto front."""
    if a.retention is None or a.capacity is None or a.usable.empty:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.5), constrained_layout=True)
    u = a.usable
    ax.scatter(u[a.capacity], u[a.retention], s=8, alpha=0.4, color="0.5", label="designs")
    if not a.pareto.empty:
        ax.plot(
            a.pareto[a.capacity],
            a.pareto[a.retention],
            "o-",
            color="C3",
            ms=4,
            label="Pareto front",
        )
    ax.set_xlabel(label(a.capacity))
    ax.set_ylabel(label(a.retention))
    ax.legend()
    ax.set_title("initial capacity vs retention")
    return _fig_bytes(fig)


def plot_sensitivity(a: Analysis) -> bytes | None:
    """PNG: Spearman rho heat map (inputs x outputs) and the ranking on retention."""
    if a.spearman.empty:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sp = a.spearman.astype(float)
    fig, axes = plt.subplots(
        1,
        2,
        figsize=(13, 0.5 * len(sp) + 3.5),
        constrained_layout=True,
        gridspec_kw={"width_ratios": [2.2, 1]},
    )
    ax = axes[0]
    m = ax.imshow(sp.to_numpy(), cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
    ax.set_yticks(range(len(sp)), [label(str(i)) for i in sp.index])
    ax.set_xticks(
        range(sp.shape[1]), [label(_name(c)) for c in sp.columns], rotation=60, ha="right"
    )
    for (i, j), v in np.ndenumerate(sp.to_numpy()):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7)
    fig.colorbar(m, ax=ax, label="Spearman rho")
    ax.set_title("rank correlation of each input with each output")
    r = a.ranking()
    ax = axes[1]
    if len(r):
        y = np.arange(len(r))[::-1]
        ax.barh(y + 0.2, r["spearman_rho"].abs().fillna(0), height=0.4, label="|Spearman rho|")
        ax.barh(y - 0.2, r["sobol_S1"].fillna(0), height=0.4, label="Sobol S1 (given data)")
        ax.set_yticks(y, [label(str(i)) for i in r.index])
        ax.set_xlim(0, 1)
        ax.legend(fontsize=8)
    ax.set_title(f"ranking on {label(_name(a.retention or ''))}")
    return _fig_bytes(fig)


def _stamp_html() -> str:
    from ..stamp import run_stamp

    st = run_stamp()
    return (
        f"<p class='stamp' id='stamp'>Made by sianode {html.escape(st['sianode_version'])} "
        f"(git commit {html.escape(st['git_commit'])}) on {html.escape(st['date_utc'])}.</p>"
    )


def _table_html(df: pd.DataFrame, **kwargs: Any) -> str:
    """A pandas table in a box that scrolls sideways instead of widening the page."""
    return f"<div class='wide'>{df.to_html(**kwargs)}</div>"


def write_report(
    folder: str | Path,
    map_params: tuple[str, ...] | None = None,
    analysis: Analysis | None = None,
) -> Path:
    """Write ``report/retention_map.png``, ``pareto.png``, ``sensitivity.png`` and a
    self-contained ``report/index.html`` (images embedded) into the sweep folder.

    ``analysis``: an :func:`analyse` result of this folder to reuse (default: computed).

    Returns
    -------
    pathlib.Path
        Path of ``index.html``.
    """
    a = analysis if analysis is not None else analyse(folder, map_params)
    rep = Path(folder) / "report"
    try:
        rep.mkdir(exist_ok=True)
    except OSError as exc:
        raise StoreWriteError(f"cannot create {rep}: {exc.strerror or exc}") from None
    images: list[tuple[str, bytes]] = []
    for name, fn in (
        ("retention_map", plot_retention_map),
        ("pareto", plot_pareto),
        ("sensitivity", plot_sensitivity),
    ):
        png = fn(a)
        if png is not None:
            atomic_write_bytes(rep / f"{name}.png", png)
            images.append((name, png))
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>sianode sweep: {html.escape(str(a.meta.get('name', '')))}</title>",
        "<style>body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px}"
        ".wide{max-width:100%;overflow-x:auto}td{overflow-wrap:anywhere}"
        "img{max-width:100%}.stamp{color:#555;font-size:.85em}</style></head><body>",
        f"<h1>Sweep: {html.escape(str(a.meta.get('name', '')))}</h1>",
        _stamp_html(),
        f"<p>{len(a.results)} of {a.meta.get('n_designs', '?')} designs in the folder; status: "
        + ", ".join(f"{html.escape(k)} {v}" for k, v in sorted(a.status_counts.items()))
        + ". Designs that died before the retention cycle count as retention 0; designs that "
        "could not start or were invalid are left out.</p>",
        f"<p><b>{a.n_failed} of {len(a.results)} designs did not complete</b>"
        + (" (reasons below).</p>" if a.n_failed else ".</p>"),
    ]
    for part, reason in a.skipped:
        parts.append(
            f"<p><b>Unreadable results file left out:</b> {html.escape(part)} "
            f"({html.escape(reason)}); a re-run of the sweep recomputes its designs.</p>"
        )
    for note in a.meta.get("notes", []):
        parts.append(f"<p><i>{html.escape(str(note))}</i></p>")
    for name, png in images:
        b64 = base64.b64encode(png).decode()
        parts.append(f"<h2>{name.replace('_', ' ')}</h2><img src='data:image/png;base64,{b64}'>")
    r = a.ranking()
    if len(r):
        parts.append(f"<h2>Sensitivity ranking on {html.escape(label(a.retention or ''))}</h2>")
        r = r.rename(
            columns={"spearman_rho": "Spearman rho", "sobol_S1": "Sobol S1"},
            index={_name(c): c for c in a.inputs},  # with units, for the labels
        )
        parts.append(_table_html(_labels(r), float_format=lambda v: f"{v:.3f}"))
    if not a.pareto.empty:
        parts.append("<h2>Pareto-optimal designs</h2>")
        parts.append(_table_html(_labels(a.pareto), index=False, float_format=lambda v: f"{v:.4g}"))
    if a.retention and not a.usable.empty:
        top = a.usable.sort_values(a.retention, ascending=False).head(15)
        cols = ["design_id", *a.inputs, *a.outputs]
        parts.append(f"<h2>Top designs by {html.escape(label(a.retention))}</h2>")
        parts.append(
            _table_html(_labels(top[cols]), index=False, float_format=lambda v: f"{v:.4g}")
        )
    if len(a.failures):
        parts.append(f"<h2>Designs that did not complete ({a.n_failed})</h2>")
        parts.append(_table_html(a.failures, index=False))
    parts.append("</body></html>")
    path = rep / "index.html"
    atomic_write_bytes(path, "\n".join(parts).encode("utf-8"))
    return path
