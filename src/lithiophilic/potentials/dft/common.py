"""Geometry helpers shared by the DFT backends: vacuum direction, k-point mesh, slab symmetry.

Pure functions of an ASE ``Atoms`` (no DFT code imported), so the GPAW and VASP backends
choose the same k-point mesh, the same vacuum axis and the same dipole-correction rule.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from lithiophilic.errors import ConfigurationError

if TYPE_CHECKING:
    from ase import Atoms

__all__ = [
    "MIN_VACUUM_GAP_A",
    "SystemKind",
    "dft_choices",
    "frozen_mesh_settings",
    "is_mirror_symmetric_slab",
    "kpts_from_density",
    "largest_gap_a",
    "resolve_dft_settings",
    "start_calculation",
    "system_kind",
    "vacuum_axes",
]

#: An empty stretch at least this long (Å) along a cell axis makes that axis a vacuum axis.
MIN_VACUUM_GAP_A = 5.0

SystemKind = Literal["bulk", "slab", "wire", "molecule"]


def largest_gap_a(atoms: Atoms, axis: int) -> tuple[float, float]:
    """Return the largest empty stretch along cell ``axis`` (Å) and its centre (fractional).

    The length is measured perpendicular to the two other cell vectors (the interplanar
    spacing of the axis times the fractional gap), so it is the real vacuum thickness.
    """
    if len(atoms) == 0:
        return math.inf, 0.5
    frac = np.sort(np.mod(atoms.get_scaled_positions(wrap=False)[:, axis], 1.0))
    gaps = np.diff(np.concatenate([frac, [frac[0] + 1.0]]))
    i = int(np.argmax(gaps))
    recip = np.linalg.inv(atoms.cell.array).T  # rows: reciprocal vectors without 2*pi
    spacing = 1.0 / float(np.linalg.norm(recip[axis]))
    centre = float(np.mod(frac[i] + gaps[i] / 2.0, 1.0))
    return float(gaps[i]) * spacing, centre


def vacuum_axes(atoms: Atoms, *, min_gap_a: float = MIN_VACUUM_GAP_A) -> list[int]:
    """Return the cell axes along which the atoms leave a gap of at least ``min_gap_a`` Å.

    Non-periodic axes (``atoms.pbc`` False) always count as vacuum axes.
    """
    axes = []
    for i in range(3):
        if not atoms.pbc[i] or largest_gap_a(atoms, i)[0] >= min_gap_a:
            axes.append(i)
    return axes


def system_kind(atoms: Atoms, *, min_gap_a: float = MIN_VACUUM_GAP_A) -> SystemKind:
    """Classify ``atoms`` by the number of vacuum axes: bulk, slab, wire or molecule (atom)."""
    n = len(vacuum_axes(atoms, min_gap_a=min_gap_a))
    return ("bulk", "slab", "wire", "molecule")[n]  # type: ignore[return-value]


def kpts_from_density(
    atoms: Atoms, kpt_density_a: float, *, min_gap_a: float = MIN_VACUUM_GAP_A
) -> list[int]:
    """Return a Monkhorst-Pack mesh with at least ``kpt_density_a`` points per Å⁻¹.

    n_i = max(1, ceil(kpt_density_a · |b_i|)), |b_i| the reciprocal-vector length including
    2π (ASE's ``kptdensity`` convention); 1 along vacuum axes.

    Raises
    ------
    ConfigurationError
        If ``kpt_density_a`` is not positive.
    """
    if not kpt_density_a > 0:
        msg = f"kpt_density_a must be > 0 (k-points per Å⁻¹), got {kpt_density_a}"
        raise ConfigurationError(msg)
    recip = 2 * math.pi * np.linalg.inv(atoms.cell.array).T
    vac = set(vacuum_axes(atoms, min_gap_a=min_gap_a))
    return [
        1 if i in vac else max(1, math.ceil(kpt_density_a * float(np.linalg.norm(recip[i])) - 1e-9))
        for i in range(3)
    ]


def is_mirror_symmetric_slab(atoms: Atoms, axis: int = 2, *, symprec: float = 1e-3) -> bool:
    """Return True if a symmetry operation of the slab maps its top face onto its bottom face.

    Looks for a space-group operation (spglib) that reverses ``axis`` (mirror, inversion or
    two-fold axis in the surface plane).  Slabs without one (an adsorbate on one face, an
    asymmetric termination) have a net dipole and need a dipole correction.
    """
    import spglib

    cell = (atoms.cell.array, atoms.get_scaled_positions(), atoms.numbers)
    sym = spglib.get_symmetry(cell, symprec=symprec)
    if sym is None:
        return False
    return any(int(r[axis, axis]) == -1 for r in sym["rotations"])


def resolve_dft_settings(
    code: str,
    settings: Mapping[str, Any],
    defaults: Mapping[str, Any],
    presets: Mapping[str, Mapping[str, Any]],
    checks: Sequence[tuple[str, Callable[[Any], bool], str]],
) -> dict[str, Any]:
    """Return complete, checked settings: ``defaults``, then the preset, then ``settings``.

    Parameters
    ----------
    code
        Backend name used in messages (``"gpaw"``, ``"vasp"``).
    settings
        Given settings (may name a ``preset``).
    defaults, presets
        The backend's defaults and presets.
    checks
        ``(key, predicate, allowed)`` triples; a value failing its predicate is rejected.

    Raises
    ------
    ConfigurationError
        For an unknown key or preset, or a value outside its allowed range.
    """
    unknown = sorted(set(settings) - set(defaults))
    if unknown:
        msg = f"calculator {code!r}: unknown setting(s) {unknown}; allowed: {sorted(defaults)}"
        raise ConfigurationError(msg)
    preset = settings.get("preset", defaults["preset"])
    if preset not in presets:
        msg = f"calculator {code!r}: unknown preset {preset!r}; presets are {sorted(presets)}"
        raise ConfigurationError(msg)
    out = {**defaults, **presets[preset], **settings}
    common = [
        ("kpt_density_a", lambda v: v > 0, "> 0 k-points per Å⁻¹"),
        ("spinpol", lambda v: v in ("auto", True, False), "'auto', true or false"),
        ("dipole_correction", lambda v: v in ("auto", True, False), "'auto', true or false"),
    ]
    for key, ok, allowed in [*common, *checks]:
        if not ok(out[key]):
            msg = f"calculator {code!r}: {key}={out[key]!r} is not allowed; must be {allowed}"
            raise ConfigurationError(msg)
    k = out.get("kpts")
    if k is not None and (len(k) != 3 or not all(isinstance(n, int) and n >= 1 for n in k)):
        msg = f"calculator {code!r}: kpts={k!r} must be three integers >= 1 (or null)"
        raise ConfigurationError(msg)
    return out


def dft_choices(atoms: Atoms, settings: Mapping[str, Any], code: str) -> dict[str, Any]:
    """Return the system-dependent choices both DFT backends make from the settings.

    Returns
    -------
    dict
        ``system_kind``; ``kpts`` (explicit ``kpts``, else from ``kpt_density_a``, Γ only for
        a molecule/atom); ``spinpol`` (``auto``: only for a single isolated atom);
        ``isolated_atom``; ``dipole_correction`` (``auto``: slabs without a symmetry mapping
        top onto bottom face).

    Raises
    ------
    ConfigurationError
        If a dipole correction is asked for a cell that is not a slab with vacuum along c.
    """
    kind = system_kind(atoms)
    if settings.get("kpts") is not None:
        kpts = [int(n) for n in settings["kpts"]]
    elif kind == "molecule":
        kpts = [1, 1, 1]
    else:
        kpts = kpts_from_density(atoms, float(settings["kpt_density_a"]))
    isolated_atom = kind == "molecule" and len(atoms) == 1
    spin = settings["spinpol"]
    spinpol = isolated_atom if spin == "auto" else bool(spin)
    dip = settings["dipole_correction"]
    dipole = False
    if dip is True or (dip == "auto" and kind == "slab"):
        vac = vacuum_axes(atoms)
        if kind != "slab" or vac != [2]:
            msg = (
                f"calculator {code!r}: the dipole correction needs a slab with vacuum along "
                f"the third cell vector (c); got a {kind} cell with vacuum axes {vac}"
            )
            raise ConfigurationError(msg)
        dipole = dip is True or not is_mirror_symmetric_slab(atoms, 2)
    return {
        "system_kind": kind,
        "kpts": kpts,
        "spinpol": spinpol,
        "isolated_atom": isolated_atom,
        "dipole_correction": dipole,
    }


def start_calculation(
    calc: Any,
    atoms: Atoms | None,
    properties: Sequence[str],
    system_changes: Sequence[str],
    code: str,
) -> SystemKind:
    """Do ASE's bookkeeping for ``calc.calculate`` and return the system kind.

    Raises
    ------
    ase.calculators.calculator.PropertyNotImplementedError
        If the stress is asked for a cell that is not bulk (a slab's stress is not
        meaningful; :func:`lithiophilic.workflows.base.run_ase_calc` then skips it).
    """
    from ase.calculators.calculator import Calculator, PropertyNotImplementedError

    Calculator.calculate(calc, atoms, list(properties), list(system_changes))
    kind = system_kind(calc.atoms)
    if "stress" in properties and kind != "bulk":
        msg = f"{code} stress is only computed for bulk cells (this is a {kind})"
        raise PropertyNotImplementedError(msg)
    return kind


def frozen_mesh_settings(
    calc: Any, atoms: Atoms, settings: Mapping[str, Any], code: str
) -> dict[str, Any]:
    """Return ``settings`` with the k-mesh fixed at the first evaluation of these atoms.

    A cell relaxation then keeps one mesh (as VASP keeps its KPOINTS), instead of jumping
    between meshes, and with them energies, when the cell shrinks or grows.  The mesh is
    stored on ``calc`` (``_frozen_kpts``) and recomputed when the atoms change identity.
    """
    if settings.get("kpts") is not None:
        return dict(settings)
    key = tuple(int(z) for z in atoms.numbers)
    frozen = getattr(calc, "_frozen_kpts", None)
    if frozen is None or frozen[0] != key:
        frozen = (key, dft_choices(atoms, settings, code)["kpts"])
        calc._frozen_kpts = frozen
    return {**settings, "kpts": list(frozen[1])}
