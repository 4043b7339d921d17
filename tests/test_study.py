"""Strict study files: an unknown key in a known section is an error naming the key and the
closest valid one (issue 16); free-form notes live in ``[metadata]``."""

from __future__ import annotations

import re

import pytest

from sianode.cli import main
from sianode.errors import ParameterError
from sianode.study import STUDY_SCHEMA, Study, load_study, reference_study_path


def _variant(tmp_path, old: str, new: str, name: str = "study.toml"):
    text = reference_study_path().read_text()
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1))
    return path


def test_bundled_study_is_valid():
    assert load_study().name.startswith("np-Si vs dense Si")


def test_misspelt_material_key_names_the_closest(tmp_path):
    # the reference study's first oxide_thickness line sits in [materials.nanoporous]
    path = _variant(tmp_path, 'oxide_thickness = "0.5 nm"', 'oxide_thicknes = "0.5 nm"')
    with pytest.raises(ParameterError) as err:
        load_study(path)
    msg = str(err.value)
    assert "'oxide_thicknes'" in msg and "[materials.nanoporous]" in msg
    assert "did you mean 'oxide_thickness'" in msg
    assert "\n" not in msg


@pytest.mark.parametrize(
    ("old", "new", "section", "closest"),
    [
        ('pellet_diameter = "10 mm"', 'pellet_diametre = "10 mm"', "[cell]", "pellet_diameter"),
        ("[protocol]", "[protocl]", "the top level", "protocol"),
        ('instrument = "BTS', 'instrumnt = "BTS', "[protocol]", "instrument"),
        ("retention_cycle = 50", "retention_cycles = 50", "[reported.dense]", "retention_cycle"),
        ('hcl_concentration = "1', 'hcl_concentraton = "1', "[synthesis]", "hcl_concentration"),
    ],
)
def test_unknown_keys_in_every_known_section(tmp_path, old, new, section, closest):
    path = _variant(tmp_path, old, new)
    with pytest.raises(
        ParameterError, match=rf"in \[?{section.strip('[]')}\]?; did you mean '{closest}'"
    ):
        load_study(path)


def test_no_close_key_lists_the_valid_ones(tmp_path):
    path = _variant(tmp_path, "[cell]\n", "[cell]\nzzz = 1\n")
    with pytest.raises(ParameterError, match="valid keys: .*capacity_basis"):
        load_study(path)


def test_metadata_section_is_free_form(tmp_path):
    text = reference_study_path().read_text()
    path = tmp_path / "study.toml"
    path.write_text(text + '\n[metadata]\noperator = "A. N. Other"\n[metadata.run]\nid = 3\n')
    study = load_study(path)
    assert study.raw["metadata"]["run"]["id"] == 3


def test_free_tables_accept_any_name(tmp_path):
    # reagent and composition names are checked by the calculators that read them
    path = _variant(tmp_path, "AB = 0.09", "AB = 0.08\nPVDF = 0.01")
    assert load_study(path).section("cell.composition")["PVDF"] == 0.01
    assert STUDY_SCHEMA["cell.composition"] is None


def test_command_line_exit_2_one_line(tmp_path, capsys):
    path = _variant(tmp_path, 'oxide_thickness = "0.5 nm"', 'oxide_thicknes = "0.5 nm"')
    assert main(["design", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "did you mean 'oxide_thickness'" in err


def test_schema_lists_every_measurement_kind_the_cell_reads():
    from sianode.cell.materials import MEASUREMENT_KINDS

    assert STUDY_SCHEMA["materials.*.files"] == frozenset(MEASUREMENT_KINDS)


def test_schema_knows_every_key_the_docs_list():
    """docs/study-schema.md and STUDY_SCHEMA agree: a key documented there is accepted."""
    import re
    from pathlib import Path

    doc = (Path(__file__).parents[1] / "docs" / "study-schema.md").read_text()
    section, missing = None, []
    for line in doc.splitlines():
        m = re.match(r"^#+ `\[(.+?)\]`", line)
        if m:
            section = m.group(1).replace("<name>", "*").replace("<material>", "*")
            continue
        m = re.match(r"^\| `([a-z_0-9]+)` \|", line)
        if m and section in STUDY_SCHEMA and STUDY_SCHEMA[section] is not None:
            if m.group(1) not in STUDY_SCHEMA[section]:
                missing.append(f"[{section}] {m.group(1)}")
    assert missing == []


@pytest.mark.parametrize(
    "change, message",
    [
        ({"commit": None}, "needs ['commit']"),
        ({"retention_pct": "x"}, "retention_pct: a number in [0, 100]"),
        ({"retention_pct": 140.0}, "retention_pct: a number in [0, 100]"),
        ({"retention_band_pct": [25.4]}, "retention_band_pct: [low, high]"),
    ],
)
def test_prediction_record_is_checked(change, message):
    """A malformed ``[prediction_record]`` is one error naming the field, not a crash in the
    report's band figure or a label that prints "x %"."""
    import copy

    raw = copy.deepcopy(load_study().raw)
    for key, value in change.items():
        if value is None:
            del raw["prediction_record"][key]
        else:
            raw["prediction_record"][key] = value
    with pytest.raises(ParameterError, match=re.escape(message)):
        Study(raw=raw).prediction_record("nanoporous")
    assert Study(raw=raw).prediction_record("dense") is None  # other materials: no record
