"""Column names of the Battery Data Format (BDF) and sianode's extensions: the one place
they are written.

BDF (ontology 1.3.0 labels) names a column ``Quantity / unit``. Readers return these names,
the cycle analysis and the simulator write them, and every other module imports them from
here. Positive current charges the test object (BDF's sign rule).
"""

from __future__ import annotations

# BDF's required columns
TIME = "Test Time / s"
VOLTAGE = "Voltage / V"
CURRENT = "Current / A"
REQUIRED = (TIME, VOLTAGE, CURRENT)

# BDF counters (sianode computes them by the rules of sianode.io.counters)
CYCLE = "Cycle Count / 1"
STEP = "Step Count / 1"

# optional BDF columns
UNIX = "Unix Time / s"
STEP_TIME = "Step Time / s"
STEP_INDEX = "Step Index / 1"
CHG_CAP = "Charging Capacity / Ah"
DCHG_CAP = "Discharging Capacity / Ah"
CHG_E = "Charging Energy / Wh"
DCHG_E = "Discharging Energy / Wh"
TEMP = "Temperature T1 / degC"
FREQUENCY = "Frequency / Hz"

# sianode's extensions: the instrument's own counters, kept beside BDF's
INST_CYCLE = "Instrument Cycle / 1"
INST_STEP = "Instrument Step / 1"
INST_HALF = "Instrument Half Cycle / 1"
