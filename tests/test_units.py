"""units.to_unit's pint-free fast path (issue 17) gives pint's answers bit for bit."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from sianode import units
from sianode.errors import ParameterError


def _pint(value: float, src: str, dst: str) -> float:
    reg = units.ureg()
    return float(reg.Quantity(value, units._normalise(src)).to(units._normalise(dst)).magnitude)


@pytest.mark.parametrize("pair", sorted(units._FAST_FACTORS))
def test_fast_factors_are_pints(pair):
    src, dst = pair
    rng = random.Random(17)
    values = [0.127, 0.3, 1.5, 75.0, 2.0, 80.0, 1e-3, 123456.789]
    values += [round(rng.uniform(-1e3, 1e3), rng.randint(0, 6)) for _ in range(300)]
    for v in values:
        text = f"{v!r} {src}"
        assert units.to_unit(text, dst) == _pint(v, src, dst), text  # exact, not approx


def test_identity_and_offset_match_pint():
    for v in (0.0, 1.0, 0.5, 30.0, -10.5, 1e3):
        for u in sorted(units._FAST_UNITS):
            assert units.to_unit(f"{v} {u}", u) == _pint(v, u, u)
        assert units.to_unit(f"{v} degC", "K") == _pint(v, "degC", "K")
    assert units.to_unit("0.127 mA/cm2", "A/m^2") == _pint(0.127, "mA/cm2", "A/m^2")


def test_other_cases_still_go_through_pint():
    assert units.to_unit("0.213 km2/kg", "m2/g") == pytest.approx(213.0)
    with pytest.raises(ParameterError, match="wrong dimension"):
        units.to_unit("3 nm", "m2/g")
    with pytest.raises(ParameterError, match="cannot read"):
        units.to_unit("2 blorbs", "mg")


def test_study_cell_needs_no_pint():
    code = (
        "import sys\n"
        "from sianode.study import load_study\n"
        "from sianode.simulation.cells import cell_from_study\n"
        "from sianode.protocol import parse_protocol\n"
        "s = load_study()\n"
        "cell_from_study(s, 'dense', beta=0.01)\n"
        "parse_protocol(s.section('protocol')['text'])\n"
        "print('pint' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("unit", ["mol/L", "cm2", "mg/cm2", "mAh/cm2", "mAh/g", "degC", "1/cm"])
def test_any_unit_to_itself_is_exact_without_pint(unit):
    # the units the calculators read as they are (hcl_concentration, the reported values)
    for v in (0.785, 0.92, 3.85, 1.0, 30.0, -2.5):
        assert units._fast_to_unit(f"{v} {unit}", unit) == v == _pint(v, unit, unit)


@pytest.mark.parametrize("command", ["pores", "design", "synthesis"])
def test_calculator_commands_need_no_pint(command):
    """The hand calculations start in well under a second: no pint (0.3-0.8 s) on the
    bundled study (issue 17)."""
    code = (
        "import io, contextlib, sys\n"
        "from sianode.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main([{command!r}]) == 0\n"
        "print(sorted(m for m in ('pint', 'pandas', 'scipy', 'matplotlib', 'numba')"
        " if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
