"""Particles and pores: synthetic images with sizes known by construction, then the real files."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sianode.errors import CalculationError
from sianode.microscopy.reader import read_micrograph
from sianode.microscopy.segmentation import (
    analyse_particles,
    analyse_pores,
    local_thickness,
    median_local_thickness,
)


def _discs(shape, centres, radius, bg=50.0, fg=200.0, noise=5.0, seed=0):
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    img = np.full(shape, bg)
    for cy, cx in centres:
        img[(yy - cy) ** 2 + (xx - cx) ** 2 <= radius**2] = fg
    return img + noise * np.random.default_rng(seed).standard_normal(shape)


def test_discs_sizes_by_construction():
    # 9 discs of radius 12 px on a 3 x 3 grid, 2 nm/px: equivalent diameter 48 nm
    # (area of a digital disc of r = 12: within 1 % of pi r^2); Feret 2r - 1 to 2r + 1 px
    # (46-50 nm: the one-pixel opening trims the disc's single-pixel extremes)
    centres = [(40 + 60 * i, 40 + 60 * j) for i in range(3) for j in range(3)]
    res = analyse_particles(_discs((220, 220), centres, 12), pixel_size_nm=2.0)
    assert res.count == 9 and res.edge_count == 0
    assert res.median_diameter == pytest.approx(48.0, rel=0.03)
    assert 46.0 <= np.median(res.feret_max) <= 50.0
    assert 46.0 <= np.median(res.feret_min) <= np.median(res.feret_max)  # round: min ~ max
    assert res.bright is True and res.method.startswith("threshold (otsu")


def test_touching_discs_are_split():
    # two discs of radius 15 px whose centres are 26 px apart overlap: one blob, two particles
    img = _discs((120, 160), [(60, 60), (60, 86)], 15)
    res = analyse_particles(img, pixel_size_nm=None)
    assert res.unit == "px" and res.count == 2
    res1 = analyse_particles(img, split=False)
    assert res1.count == 1


def test_edge_fallback_when_thresholds_fail():
    # an illumination ramp under the discs makes every global threshold take half the image
    yy, xx = np.mgrid[0:200, 0:200]
    img = _discs((200, 200), [(50, 50), (50, 150), (150, 50), (150, 150)], 14, fg=120) + 1.5 * xx
    res = analyse_particles(img, pixel_size_nm=1.0, method="edges")
    assert res.method.startswith("edges")
    assert res.count == 4
    assert res.median_diameter == pytest.approx(28.0, rel=0.1)


def test_local_thickness_of_strips():
    # a strip 10 px wide has local thickness 10 px everywhere inside it (within the radius
    # binning); a disc of radius 20 px has 40 px at its centre
    m = np.zeros((80, 200), bool)
    m[30:40, 10:190] = True
    lt = local_thickness(m, n_radii=32)
    assert np.median(lt[m]) == pytest.approx(10.0, rel=0.1)
    yy, xx = np.mgrid[0:80, 0:80]
    d = (yy - 40) ** 2 + (xx - 40) ** 2 <= 400
    assert local_thickness(d, n_radii=32)[40, 40] == pytest.approx(40.0, rel=0.05)
    # the bisection median is not binned: 10 px for the strip (EDT of its middle rows is 5)
    assert median_local_thickness(m) == pytest.approx(10.0, rel=0.01)
    # two strips, 6 px (area 6 x 180) and 20 px (area 20 x 180): the area-weighted median
    # lies in the wide one, 20 px
    m2 = np.zeros((80, 200), bool)
    m2[5:11, 10:190] = True
    m2[40:60, 10:190] = True
    assert median_local_thickness(m2) == pytest.approx(20.0, rel=0.01)


def test_porosity_by_construction():
    # bright solid square 160 x 160 px with 16 dark square pores 12 x 12 px inside:
    # porosity 16 * 144 / 25600 = 0.09, pore width 12 px, 1 nm/px
    img = np.full((200, 200), 20.0)
    img[20:180, 20:180] = 200.0
    for i in range(4):
        for j in range(4):
            img[38 + 36 * i : 50 + 36 * i, 38 + 36 * j : 50 + 36 * j] = 20.0
    img += 3.0 * np.random.default_rng(2).standard_normal(img.shape)
    res = analyse_pores(img, pixel_size_nm=1.0)
    assert res.porosity == pytest.approx(0.09, rel=0.1)
    assert res.median_pore_width == pytest.approx(12.0, rel=0.15)
    lo, hi = res.porosity_range
    assert lo <= res.porosity <= hi


def test_flat_image_has_no_particles():
    with pytest.raises(CalculationError):
        analyse_particles(
            np.random.default_rng(3).normal(100, 1, (64, 64)), 1.0, method="threshold"
        )


def test_sem_particle_size_distribution(micro):
    # Zeiss SEM: bright particles on a substrate. By eye, about 30 particles lie fully inside
    # the analysed area, 8-25 px across (the 200 nm scale bar is 17 px), i.e. ~90-290 nm
    mg = read_micrograph(micro / "test_tiff_Zeiss_SEM_512pix.tif")
    res = analyse_particles(mg.data, mg.pixel_size_nm)
    assert res.unit == "nm" and res.bright
    assert 20 <= res.count <= 45
    assert 90 <= res.median_diameter <= 250
    lo, hi = res.median_diameter_range
    assert lo <= res.median_diameter <= hi and hi > lo  # the threshold spread is reported
    assert res.p10_diameter < res.median_diameter < res.p90_diameter
    assert len(res.by_threshold) == 3


def test_porous_section_porosity_with_spread(micro):
    # FIB section of a porous dust particle (HAADF: pores dark). The pores visible inside the
    # particle are a minority: porosity between 1 % and 30 %; widths in nm from 3.27 nm pixels
    mg = read_micrograph(micro / "After_HAADF_130mm.emi")
    res = analyse_pores(mg.data, mg.pixel_size_nm)
    assert 0.01 < res.porosity < 0.30
    lo, hi = res.porosity_range
    assert lo <= res.porosity <= hi and hi - lo > 0
    assert len(res.by_threshold) >= 3
    assert res.median_pore_width > 2 * 3.27 * 2  # wider than 2 working pixels
    assert res.median_wall_width > res.median_pore_width
    assert 0.2 < res.envelope_fraction < 0.9  # vacuum around the section left out
    assert math.isfinite(res.median_pore_width_range[1])
