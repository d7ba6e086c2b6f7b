"""GPAW settings: presets, defaults, the optional settings and :func:`resolve_gpaw_settings`.

Used by :mod:`lithiophilic.potentials.dft.gpaw` (which re-exports every name here) and by
anything that needs the settings without the calculator.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lithiophilic.errors import ConfigurationError
from lithiophilic.potentials.dft.common import resolve_dft_settings

__all__ = [
    "EIGENSOLVERS",
    "GPAW_DEFAULTS",
    "GPAW_PRESETS",
    "OPTIONAL_KEYS",
    "PRESET_ONLY_KEYS",
    "RUNTIME_KEYS",
    "resolve_gpaw_settings",
]

#: Settings groups selected with ``preset``; explicit settings override them.
GPAW_PRESETS: dict[str, dict[str, Any]] = {
    # minutes on a laptop: γ to ~0.05 J/m², lattice constants to ~0.3 %
    "fast": {"ecut_ev": 350.0, "kpt_density_a": 3.5, "smearing_ev": 0.1},
    # converged production settings (cutoff 500 eV, ~0.03 Å⁻¹ k-spacing)
    "accurate": {"ecut_ev": 500.0, "kpt_density_a": 6.0, "smearing_ev": 0.05},
    # LCAO, double-zeta polarised atomic orbitals on a 0.2 Å real-space grid (ecut_ev unused):
    # single points of 50-150-atom slabs in CPU-hours, not weeks (slower than plane waves on
    # cells of a few atoms); no stress (no cell relaxation). bench/results/verify.json.
    "lcao-dzp": {"mode": "lcao", "basis": "dzp", "kpt_density_a": 3.5, "smearing_ev": 0.1},
}

#: Settings only a preset sets (absent from the other presets' settings and cache keys).
PRESET_ONLY_KEYS = ("mode", "basis")

#: Defaults of every setting (the ``fast`` preset's values are applied on top).
GPAW_DEFAULTS: dict[str, Any] = {
    "preset": "fast",
    "xc": "PBE",
    "ecut_ev": 350.0,
    "kpt_density_a": 3.5,
    "kpts": None,
    "smearing_ev": 0.1,
    "spinpol": "auto",
    "dipole_correction": "auto",
    "maxiter": 300,
    "energy_tol_ev_per_electron": 5e-4,
    "density_tol": 1e-4,
    # GPAW's eigenstate residual criterion, eV²/electron (GPAW's own default 4e-8)
    "eigenstates_tol_ev2_per_electron": 4e-8,
    "nprocs": None,
    "mpiexec": None,
    "txt": "gpaw.txt",
}

#: Settings that do not change results (excluded from the reuse key).
RUNTIME_KEYS = frozenset({"nprocs", "mpiexec", "txt"})

#: Plane-wave eigensolvers of the optional ``eigensolver`` setting (absent: GPAW's own default,
#: PPCG in GPAW 26.7; only a setting given enters the settings and the cache key). ``dav`` is
#: Davidson with 2 iterations per SCF step: 0.81-0.84x the SCF time of the default on the
#: quick campaign's 25/26-atom PDOS cells, energies within 0.2 meV
#: (bench/results/gpaw_eigensolver*.json).
EIGENSOLVERS: dict[str, dict[str, Any]] = {
    "dav": {"name": "dav", "niter": 2},
    "ppcg": {"name": "ppcg"},
    "cg": {"name": "cg"},
}

#: Settings that enter a spec's settings (and cache key) only when given, so that the keys of
#: stored results stay what they were: ``eigensolver`` (above); ``grid_spacing_a``, the
#: real-space grid spacing of LCAO in Å (absent: GPAW's default, 0.2 Å); ``kpts_gamma``, three
#: booleans, whether the mesh along each axis is Γ-centred (absent, or all true: every axis is;
#: false on an axis with an even number of points: Monkhorst-Pack there, the points off Γ at
#: ±1/(2n), ... so time reversal pairs them: a 2x2x2 mesh of a cell without symmetry has 4
#: irreducible points instead of 8).
OPTIONAL_KEYS = ("eigensolver", "grid_spacing_a", "kpts_gamma")


def resolve_gpaw_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Return complete, checked settings: defaults, then the preset, then ``settings``.

    Raises
    ------
    ConfigurationError
        For an unknown key or preset, or a value outside its allowed range.
    """
    checks = [
        ("ecut_ev", lambda v: v > 0, "> 0 eV"),
        ("smearing_ev", lambda v: v >= 0, ">= 0 eV"),
        ("maxiter", lambda v: int(v) >= 1, ">= 1"),
        ("eigenstates_tol_ev2_per_electron", lambda v: 0 < v <= 1e-3, "in (0, 1e-3] eV²/electron"),
        ("nprocs", lambda v: v is None or int(v) >= 1, ">= 1 (or null: $SLURM_NTASKS or 1)"),
    ]
    settings = dict(settings)
    preset = GPAW_PRESETS.get(str(settings.get("preset", GPAW_DEFAULTS["preset"])), {})
    for key in PRESET_ONLY_KEYS:  # resolved settings passed back in carry them
        if key in settings and settings[key] != preset.get(key):
            msg = (
                f"calculator 'gpaw': {key}={settings[key]!r} is set by a preset only "
                f"(preset 'lcao-dzp': mode 'lcao', basis 'dzp'; the others: plane waves)"
            )
            raise ConfigurationError(msg)
        settings.pop(key, None)
    if settings.get("kpts_gamma") is not None:
        settings["kpts_gamma"] = _kpts_gamma(settings["kpts_gamma"])
    optional = {k: settings.pop(k) for k in OPTIONAL_KEYS if k in settings}
    optional = {k: v for k, v in optional.items() if v is not None}
    out = resolve_dft_settings("gpaw", settings, GPAW_DEFAULTS, GPAW_PRESETS, checks)
    lcao = out.get("mode") == "lcao"
    eigensolver = optional.get("eigensolver")
    if eigensolver is not None and eigensolver not in EIGENSOLVERS:
        msg = (
            f"calculator 'gpaw': eigensolver={eigensolver!r} is not allowed; must be one of "
            f"{sorted(EIGENSOLVERS)} (or null: GPAW's default)"
        )
        raise ConfigurationError(msg)
    if eigensolver is not None and lcao:
        msg = "calculator 'gpaw': eigensolver is for plane waves (LCAO diagonalises directly)"
        raise ConfigurationError(msg)
    h = optional.get("grid_spacing_a")
    if h is not None and not (lcao and 0.1 <= float(h) <= 0.3):
        msg = (
            f"calculator 'gpaw': grid_spacing_a={h!r} is not allowed; must be in [0.1, 0.3] Å, "
            "with an LCAO preset (plane waves set their grid from ecut_ev)"
        )
        raise ConfigurationError(msg)
    return {**out, **optional}


def _kpts_gamma(value: Any) -> list[bool] | None:
    """Return ``kpts_gamma`` checked: three booleans (``None`` if all true: the default)."""
    if not (
        isinstance(value, list | tuple)
        and len(value) == 3
        and all(isinstance(v, bool) for v in value)
    ):
        msg = (
            f"calculator 'gpaw': kpts_gamma={value!r} is not allowed; must be three booleans "
            "(per axis: Γ-centred mesh, or false: Monkhorst-Pack, off Γ when even)"
        )
        raise ConfigurationError(msg)
    return None if all(value) else list(value)
