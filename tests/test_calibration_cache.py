"""The stored dense calibration (issue 17): reused when study and code match, never stale."""

from __future__ import annotations

import copy
import json

import pytest

from sianode import calibration, calibration_cache
from sianode.study import Study


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SIANODE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SIANODE_NO_CACHE", raising=False)
    return tmp_path / "cache" / "calibration"


def _counting(monkeypatch):
    calls = []
    real = calibration.calibrate_dense

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(calibration, "calibrate_dense", counted)
    return calls


def test_second_call_reads_the_stored_result(cache, study, monkeypatch):
    calls = _counting(monkeypatch)
    first, hit1 = calibration_cache.cached_calibrate_dense(study)
    second, hit2 = calibration_cache.cached_calibrate_dense(study)
    assert (hit1, hit2) == (False, True)
    assert len(calls) == 1  # the second call ran no simulation
    assert second == first
    # bit-identical to a fresh calibration (JSON keeps a float's repr exactly)
    assert second["value"] == calibration.calibrate_dense(study).value
    files = list(cache.iterdir())
    assert len(files) == 1 and files[0].suffix == ".json"  # no temporary file left behind


def test_changed_study_or_code_misses(cache, study, monkeypatch):
    calls = _counting(monkeypatch)
    calibration_cache.cached_calibrate_dense(study)
    raw = copy.deepcopy(study.raw)
    raw["reported"]["dense"]["retention"] = 0.30
    other = Study(raw, study.path)
    res, hit = calibration_cache.cached_calibrate_dense(other)
    assert hit is False and len(calls) == 2
    assert res["target"] == pytest.approx(0.30)
    # a different model version (any source change) is a different key
    key = calibration_cache.calibration_key(study)
    monkeypatch.setattr(calibration_cache, "model_version", lambda: "0.0.0+changed")
    assert calibration_cache.calibration_key(study) != key


def test_corrupt_entry_recomputed_and_unwritable_folder_tolerated(cache, study, monkeypatch):
    calls = _counting(monkeypatch)
    calibration_cache.cached_calibrate_dense(study)
    (entry,) = cache.iterdir()
    entry.write_text('{"key": "')  # a torn write from some other tool
    res, hit = calibration_cache.cached_calibrate_dense(study)
    assert hit is False and len(calls) == 2
    assert json.loads(entry.read_text())["result"] == res  # rewritten whole
    blocker = cache.parent.parent / "file"
    blocker.write_text("")
    monkeypatch.setenv("SIANODE_CACHE_DIR", str(blocker / "sub"))  # cannot be created
    res2, hit2 = calibration_cache.cached_calibrate_dense(study)
    assert hit2 is False and res2["value"] == res["value"]


def test_study_with_measurement_files_is_not_cached(study):
    raw = copy.deepcopy(study.raw)
    raw["materials"]["dense"]["files"] = {"xrd": "x.brml"}
    assert calibration_cache.calibration_key(Study(raw, study.path)) is None
    assert calibration_cache.calibration_key(study) is not None


def test_cache_dir_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("SIANODE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert calibration_cache.cache_dir() == tmp_path / "sianode"
