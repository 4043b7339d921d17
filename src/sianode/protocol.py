"""Cycling protocols in readable text, in the spirit of PyBaMM experiments.

One step per line::

    Lithiate at 0.127 mA/cm2 until 0.04 V vs Li
    Delithiate at C/13 until 1.5 V vs Li
    Rest for 1 h
    Repeat 47 times

- ``... or 1000 mAh/g`` after the cut-off adds a capacity limit (per g active material).
- ``Lithiate``/``Delithiate`` at a current (``0.1 mA``), current density (``0.127 mA/cm2``)
  or C-rate (``C/13``, ``0.077C``; on the cell's stated capacity basis), ``until`` a voltage
  ``vs Li`` (Li+/Li) or ``vs counter`` (what the instrument measures), optionally
  ``for <duration>`` as a time limit.
- ``Rest for <duration>``.
- ``Repeat N times`` runs the steps since the previous ``Repeat`` line (or the start) N times
  in all.

A cycle starts at each lithiation step (half-cell anode convention: lithiation first).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from .errors import ParameterError
from .units import to_unit

__all__ = [
    "Step",
    "Protocol",
    "parse_protocol",
    "protocol_from_data",
    "LITHIATE",
    "DELITHIATE",
    "REST",
]

LITHIATE, DELITHIATE, REST = 0, 1, 2
_KIND = {"lithiate": LITHIATE, "delithiate": DELITHIATE, "rest": REST}

_STEP = re.compile(
    r"^(?P<verb>lithiate|delithiate)\s+at\s+(?P<current>.+?)"
    r"(?:\s+until\s+(?P<volt>[-+0-9.eE]+\s*m?V)\s*(?:vs\.?\s*(?P<ref>li\+?(?:/li)?|counter|li-in))?)?"
    r"(?:\s+or\s+(?P<cap>[0-9.eE]+)\s*mAh/g)?"
    r"(?:\s+(?:for|or)\s+(?P<dur>[0-9.eE]+\s*\w+))?\s*$",
    re.IGNORECASE,
)
_REST = re.compile(r"^rest\s+for\s+(?P<dur>[0-9.eE]+\s*\w+)\s*$", re.IGNORECASE)
_REPEAT = re.compile(r"^repeat\s+(?P<n>\d+)\s+times?\s*$", re.IGNORECASE)
_CRATE = re.compile(r"^(?:C\s*/\s*(?P<div>[0-9.]+)|(?P<mul>[0-9.eE+-]+)\s*C)$", re.IGNORECASE)


@dataclass(frozen=True)
class Step:
    """One protocol step.

    Attributes
    ----------
    kind : int
        :data:`LITHIATE`, :data:`DELITHIATE` or :data:`REST`.
    current : float
        Magnitude of the current in ``current_unit`` (0 for rest).
    current_unit : str
        ``"A"``, ``"A/m2"`` or ``"C"`` (C-rate on the cell's capacity basis).
    cutoff_V : float or None
        Voltage limit [V] in the reference given by ``cutoff_ref``.
    cutoff_ref : str
        ``"Li"`` (vs Li+/Li) or ``"counter"`` (vs the counter electrode, as measured).
    duration_s : float or None
        Time limit [s].
    capacity_mAh_g : float or None
        Capacity limit [mAh per g active material] (``... or 1000 mAh/g``).
    text : str
        The line it was parsed from.
    """

    kind: int
    current: float = 0.0
    current_unit: str = "A"
    cutoff_V: float | None = None
    cutoff_ref: str = "Li"
    duration_s: float | None = None
    capacity_mAh_g: float | None = None
    text: str = ""

    def current_A(self, area_m2: float, capacity_Ah: float) -> float:
        """Current magnitude [A] given electrode area [m2] and nominal capacity [A h]."""
        if self.current_unit == "A":
            return self.current
        if self.current_unit == "A/m2":
            return self.current * area_m2
        return self.current * capacity_Ah  # C-rate: 1C discharges capacity_Ah in one hour

    def current_density(self, area_m2: float, capacity_Ah: float) -> float:
        """Current density [A m-2]."""
        return self.current_A(area_m2, capacity_Ah) / area_m2

    def c_rate(self, area_m2: float, capacity_Ah: float) -> float:
        """C-rate [h-1] on the nominal capacity."""
        return self.current_A(area_m2, capacity_Ah) / capacity_Ah

    def cutoff_vs_counter(self, counter_potential_V: float) -> float | None:
        """Cut-off as the instrument sees it [V vs counter electrode]."""
        if self.cutoff_V is None:
            return None
        return self.cutoff_V - counter_potential_V if self.cutoff_ref == "Li" else self.cutoff_V

    def cutoff_vs_li(self, counter_potential_V: float) -> float | None:
        """Cut-off [V vs Li+/Li]."""
        if self.cutoff_V is None:
            return None
        return self.cutoff_V if self.cutoff_ref == "Li" else self.cutoff_V + counter_potential_V


def _parse_current(text: str, line: str) -> tuple[float, str]:
    t = text.strip()
    m = _CRATE.match(t)
    if m:
        val = 1.0 / float(m.group("div")) if m.group("div") else float(m.group("mul"))
        return val, "C"
    for unit in ("A/m2", "A"):
        try:
            return to_unit(t, unit, f"protocol line {line!r}"), unit
        except ParameterError:
            continue
    raise ParameterError(f"protocol line {line!r}: cannot read current {t!r} (A, A/cm2 or C-rate)")


@dataclass
class Protocol:
    """A parsed protocol: blocks of steps, each run ``repeats`` times."""

    blocks: list[tuple[list[Step], int]] = field(default_factory=list)
    text: str = ""

    @property
    def steps(self) -> list[Step]:
        """Distinct steps in order (each block's steps once)."""
        return [s for block, _ in self.blocks for s in block]

    @property
    def n_cycles(self) -> int:
        """Number of cycles the protocol runs as written."""
        return sum(sum(s.kind == LITHIATE for s in block) * n for block, n in self.blocks)

    def expand(self, n_cycles: int | None = None) -> list[Step]:
        """The full step sequence; with ``n_cycles`` it is cut or extended (repeating the last
        block) to exactly that many cycles."""
        seq = [s for block, n in self.blocks for _ in range(n) for s in block]
        if n_cycles is None:
            return seq
        if n_cycles < 1:
            raise ParameterError(f"cycles: must be >= 1, got {n_cycles}")
        last_block = self.blocks[-1][0]
        if not any(s.kind == LITHIATE for s in last_block):
            raise ParameterError("protocol: the last block has no lithiation step to repeat")
        have = sum(s.kind == LITHIATE for s in seq)
        if have < n_cycles:  # whole repeats of the last block (linear in n_cycles)
            per_block = sum(s.kind == LITHIATE for s in last_block)
            seq.extend(last_block * -(-(n_cycles - have) // per_block))
        out: list[Step] = []
        count = 0
        for s in seq:
            if s.kind == LITHIATE:
                count += 1
                if count > n_cycles:
                    break
            out.append(s)
        return out

    def to_arrays(
        self,
        area_m2: float,
        capacity_Ah: float,
        counter_potential_V: float,
        n_cycles: int | None = None,
        active_mass_g: float | None = None,
    ) -> dict[str, np.ndarray]:
        """Numeric step table for the solver: kind, current [A] (signed: + lithiation),
        cut-off vs counter [V] (NaN = none), time limit [s] (inf = none), cycle number."""
        seq = self.expand(n_cycles)
        kind = np.array([s.kind for s in seq], dtype=np.int64)
        cur = np.array([s.current_A(area_m2, capacity_Ah) for s in seq], dtype=float)
        cur = np.where(kind == LITHIATE, cur, np.where(kind == DELITHIATE, -cur, 0.0))
        cut = np.array(
            [
                np.nan if s.cutoff_V is None else s.cutoff_vs_counter(counter_potential_V)
                for s in seq
            ],
            dtype=float,
        )
        dur = np.array([np.inf if s.duration_s is None else s.duration_s for s in seq])
        for i, s in enumerate(seq):
            if s.capacity_mAh_g is not None:
                if active_mass_g is None:
                    raise ParameterError(
                        f"protocol line {s.text!r}: a capacity limit needs the active mass"
                    )
                # galvanostatic: a charge limit is a time limit (the charge includes side reactions)
                t_cap = s.capacity_mAh_g * active_mass_g * 3.6 / abs(cur[i])
                dur[i] = min(dur[i], t_cap)
        cycle = np.cumsum(kind == LITHIATE).astype(np.int64)
        cycle[cycle == 0] = 1
        return {"kind": kind, "current": cur, "cutoff": cut, "duration": dur, "cycle": cycle}


def parse_protocol(text: str) -> Protocol:
    """Parse the text form (see module docstring) into a :class:`Protocol`.

    Raises
    ------
    ParameterError
        On a line that is not a step, with the line quoted; on a cut-off on the wrong side
        (a lithiation must end below, a delithiation above, the start of the window) or a
        step with neither a cut-off nor a time limit.
    """
    blocks: list[tuple[list[Step], int]] = []
    current: list[Step] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = _REPEAT.match(line)
        if m:
            n = int(m.group("n"))
            if n < 1 or not current:
                raise ParameterError(f"protocol line {line!r}: nothing to repeat or N < 1")
            blocks.append((current, n))
            current = []
            continue
        m = _REST.match(line)
        if m:
            dur = to_unit(m.group("dur"), "s", f"protocol line {line!r}")
            if dur <= 0:
                raise ParameterError(f"protocol line {line!r}: duration must be > 0")
            current.append(Step(kind=REST, duration_s=dur, text=line))
            continue
        m = _STEP.match(line)
        if not m:
            raise ParameterError(
                f"protocol line {line!r}: expected 'Lithiate|Delithiate at <current> until <V> "
                "vs Li', 'Rest for <time>' or 'Repeat N times'"
            )
        value, unit = _parse_current(m.group("current"), line)
        if not value > 0:
            raise ParameterError(f"protocol line {line!r}: current must be > 0")
        cutoff = (
            to_unit(m.group("volt"), "V", f"protocol line {line!r}") if m.group("volt") else None
        )
        ref = (m.group("ref") or "li").lower()
        ref = "counter" if ref in ("counter", "li-in") else "Li"
        dur = to_unit(m.group("dur"), "s", f"protocol line {line!r}") if m.group("dur") else None
        cap = float(m.group("cap")) if m.group("cap") else None
        if cutoff is None and dur is None and cap is None:
            raise ParameterError(f"protocol line {line!r}: needs 'until <V>' or 'for <time>'")
        current.append(
            Step(
                kind=_KIND[m.group("verb").lower()],
                current=value,
                current_unit=unit,
                cutoff_V=cutoff,
                cutoff_ref=ref,
                duration_s=dur,
                capacity_mAh_g=cap,
                text=line,
            )
        )
    if current:
        blocks.append((current, 1))
    if not blocks:
        raise ParameterError("protocol: no steps")
    proto = Protocol(blocks=blocks, text=text)
    _check_cutoff_order(proto)
    return proto


def _check_cutoff_order(proto: Protocol) -> None:
    """Lithiation cut-offs must lie below delithiation cut-offs (same reference)."""
    for ref in ("Li", "counter"):
        lo = [
            s.cutoff_V
            for s in proto.steps
            if s.kind == LITHIATE and s.cutoff_ref == ref and s.cutoff_V is not None
        ]
        hi = [
            s.cutoff_V
            for s in proto.steps
            if s.kind == DELITHIATE and s.cutoff_ref == ref and s.cutoff_V is not None
        ]
        if lo and hi and max(lo) >= min(hi):
            raise ParameterError(
                f"protocol: cut-offs in the wrong order: lithiation ends at {max(lo)} V but "
                f"delithiation ends at {min(hi)} V vs {ref} (lithiation must end lower)"
            )


def _sig(x: float, digits: int = 3) -> str:
    return f"{x:.{digits}g}"


def protocol_from_data(
    time_s: np.ndarray,
    current_A: np.ndarray,
    voltage_V: np.ndarray,
    min_rest_s: float = 1.0,
) -> str:
    """The protocol a measured cell actually ran, as protocol text (approximate).

    Each run of same-signed current is one step: ``Lithiate`` for negative current (discharge
    of a half cell against Li), ``Delithiate`` for positive, at the run's median current
    magnitude (3 significant digits) ``until`` a voltage ``vs counter`` (what the instrument
    measured): the median end voltage of the steps of its kind, unless the step went more
    than 50 mV beyond it (a different cut-off, kept); a step that ended short of it was
    interrupted and takes the median too. Currents below 2 % of the largest count as rest;
    rests of at least ``min_rest_s`` become ``Rest`` steps (2 significant digits). Steps of
    one kind separated only by rests are merged into one, at their charge-weighted mean
    current (the protocol language starts a cycle at every lithiation step). Identical consecutive
    cycles are folded into ``Repeat N times`` blocks.

    Approximations: constant-voltage holds, pulses and capacity or time limits are not
    represented; a CC-CV step becomes a CC step to its voltage; cut-offs within 50 mV of
    each other are taken as one.

    Parameters
    ----------
    time_s, current_A, voltage_V : array
        Test time [s], current [A] (BDF sign: positive charges the working electrode's
        counterpart, i.e. delithiates a Si half cell) and voltage [V] as measured.

    Raises
    ------
    ParameterError
        If the data has no current step.
    """
    t = np.asarray(time_s, dtype=float)
    i = np.asarray(current_A, dtype=float)
    v = np.asarray(voltage_V, dtype=float)
    ok = np.isfinite(t) & np.isfinite(i) & np.isfinite(v)
    t, i, v = t[ok], i[ok], v[ok]
    if i.size == 0 or not np.any(i != 0):
        raise ParameterError("protocol from data: the file has no current step")
    thr = 0.02 * float(np.abs(i).max())  # below 2 % of the largest current: a rest
    sign = np.where(i > thr, 1, np.where(i < -thr, -1, 0))
    edges = np.flatnonzero(np.diff(sign)) + 1
    starts = np.concatenate([[0], edges])
    ends = np.concatenate([edges, [sign.size]])
    runs: list[list[float]] = []  # [sign, |I| [A], end V, duration [s]]
    for a, b in zip(starts, ends):
        s = int(sign[a])
        # from where the previous run ended to this run's last point (sparse logs included)
        dur = float(t[b - 1] - t[a - 1 if a else 0])
        if runs and runs[-1][0] == s:  # a short rest split one step, or two rests meet
            runs[-1][2] = float(v[b - 1]) if s else runs[-1][2]
            runs[-1][3] += dur
            continue
        amp = float(np.median(np.abs(i[a:b]))) if s else 0.0
        runs.append([s, amp, float(v[b - 1]) if s else float("nan"), dur])
    runs = [r for r in runs if r[0] != 0 or r[3] >= min_rest_s]
    # steps of one kind separated only by rests (stepped currents, a paused step) are one step
    # of the protocol language, which starts a cycle at every lithiation: merged, at their
    # charge-weighted mean current, ending where the last one ended
    merged: list[list[float]] = []
    for r in runs:
        last = next((k for k in range(len(merged) - 1, -1, -1) if merged[k][0] != 0), None)
        if r[0] != 0 and last is not None and merged[last][0] == r[0]:
            m = merged[last]
            charge = m[1] * m[3] + r[1] * r[3]
            m[3] += r[3]
            m[1] = charge / m[3] if m[3] > 0 else max(m[1], r[1])
            m[2] = r[2]
            del merged[last + 1 :]
            continue
        merged.append(list(r))
    runs = merged
    median_end = {
        s: float(np.median([r[2] for r in runs if r[0] == s]))
        for s in (-1, 1)
        if any(r[0] == s for r in runs)
    }
    lines: list[str] = []
    for s, amp, end, dur in runs:
        if s == 0:
            lines.append(f"Rest for {float(f'{dur:.2g}'):.0f} s")
            continue
        # ended short of the usual cut-off (interrupted) or within 50 mV of it: the usual one
        beyond = median_end[s] - end if s < 0 else end - median_end[s]
        cut = end if beyond > 0.05 else median_end[s]
        verb = "Lithiate" if s < 0 else "Delithiate"
        lines.append(f"{verb} at {_sig(amp * 1e3)} mA until {cut:.3f} V vs counter")
    # split into cycles at each lithiation (steps before the first form their own group)
    cycles: list[tuple[str, ...]] = []
    for line in lines:
        if line.startswith("Lithiate") or not cycles:
            cycles.append((line,))
        else:
            cycles[-1] = (*cycles[-1], line)
    out: list[str] = []
    k = 0
    while k < len(cycles):
        n = 1
        while k + n < len(cycles) and cycles[k + n] == cycles[k]:
            n += 1
        out.extend(cycles[k])
        out.append(f"Repeat {n} times")
        k += n
    return "\n".join(out)
