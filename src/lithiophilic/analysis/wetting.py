"""Wetting of a skin by Li: adhesion energy, film strain energy, Li surface energy, contact angle.

Pure functions (eV, Å in; the unit in every name) behind
:class:`~lithiophilic.workflows.screen_wetting.LiWettingDoc`. Conventions
(:data:`WETTING_DEFINITION`):

- W_adh = [E(skin slab) + E(strained free Li film) − E(interface)]/A, the work to separate the
  Li film from the skin per interface area A (one interface: the film sits on the top face).
  The free film is the interface's Li film alone, in the same (coincidence) cell, so the
  strain the cell imposes on the film cancels: W_adh > 0 means the film sticks to the skin.
- strain energy = E(strained free film) − E(unstrained free film with the same number of
  layers and Li atoms), eV (≥ 0 when the unstrained film is the relaxed Li(110) lattice).
- γ_Li(110) = [E(Li(110) slab) − N ε_Li(bcc)]/(2A), relaxed symmetric slab.
- Young–Dupré: cos θ = W_adh/γ_Li − 1. cos θ ≥ 1 is complete wetting (θ = 0°), cos θ ≤ −1 is
  non-wetting (θ = 180°, W_adh ≤ 0); the raw cos θ is kept beside the clamped angle.
"""

from __future__ import annotations

import math
from typing import Literal

from lithiophilic.errors import AnalysisError
from lithiophilic.units import EV_PER_A2_TO_J_PER_M2

__all__ = [
    "WETTING_DEFINITION",
    "adhesion_energy_ev_per_a2",
    "contact_angle",
    "film_strain_energy_ev",
    "li_surface_energy_ev_per_a2",
    "to_j_per_m2",
]

WettingRegime = Literal["complete wetting", "partial wetting", "non-wetting"]

#: The definition stored with every wetting document.
WETTING_DEFINITION = (
    "W_adh = [E(skin slab) + E(strained free Li film) - E(interface)]/A (J/m2 and eV/A2; > 0: "
    "the bcc Li(110) film adheres; the film is the interface's own Li in the same coincidence "
    "cell, so its strain cancels); strain energy = E(strained free film) - E(unstrained "
    "Li(110) film, same layers and Li count), eV; gamma_Li(110) = [E(Li(110) slab) - N "
    "eps_Li(bcc)]/(2A); cos(theta) = W_adh/gamma_Li - 1 (Young-Dupre), >= 1: complete "
    "wetting (theta = 0), <= -1: non-wetting (theta = 180 deg); raw cos(theta) kept."
)


def _check_area(area_a2: float) -> None:
    if not (math.isfinite(area_a2) and area_a2 > 0):
        msg = f"area_a2: {area_a2!r} is not a positive area in Å²"
        raise AnalysisError(msg)


def adhesion_energy_ev_per_a2(
    substrate_energy_ev: float,
    film_energy_ev: float,
    interface_energy_ev: float,
    area_a2: float,
) -> float:
    """Return W_adh = [E(skin) + E(film) − E(interface)]/A, eV/Å² (> 0: adhesion).

    Parameters
    ----------
    substrate_energy_ev
        Relaxed skin slab in the coincidence cell, eV.
    film_energy_ev
        Relaxed free Li film, strained to the same cell, eV.
    interface_energy_ev
        Relaxed skin slab with the Li film on its top face, eV.
    area_a2
        Interface area A (in-plane cell area), Å².

    Raises
    ------
    AnalysisError
        For a non-positive area.
    """
    _check_area(area_a2)
    return (substrate_energy_ev + film_energy_ev - interface_energy_ev) / area_a2


def film_strain_energy_ev(
    strained_film_energy_ev: float,
    n_li_strained: int,
    unstrained_film_energy_ev: float,
    n_li_unstrained: int,
) -> float:
    """Return E(strained film) − E(unstrained film scaled to the same Li count), eV.

    Both films have the same number of Li(110) layers; the unstrained one (any lateral cell) is
    scaled by n_li_strained/n_li_unstrained.
    """
    if n_li_strained < 1 or n_li_unstrained < 1:
        msg = f"Li counts must be >= 1, got {n_li_strained} and {n_li_unstrained}"
        raise AnalysisError(msg)
    return strained_film_energy_ev - unstrained_film_energy_ev * n_li_strained / n_li_unstrained


def li_surface_energy_ev_per_a2(
    slab_energy_ev: float, n_atoms: int, bcc_energy_per_atom_ev: float, area_a2: float
) -> float:
    """Return γ = [E(slab) − N ε_Li(bcc)]/(2A) of a symmetric Li slab, eV/Å²."""
    _check_area(area_a2)
    return (slab_energy_ev - n_atoms * bcc_energy_per_atom_ev) / (2.0 * area_a2)


def contact_angle(
    adhesion_ev_per_a2: float, gamma_li_ev_per_a2: float
) -> tuple[float, float, WettingRegime]:
    """Return (raw cos θ, θ in degrees clamped to 0–180, wetting regime), Young–Dupré.

    cos θ = W_adh/γ_Li − 1; cos θ ≥ 1: complete wetting (θ = 0); cos θ ≤ −1: non-wetting
    (θ = 180°); otherwise partial wetting.

    Raises
    ------
    AnalysisError
        If γ_Li is not positive (the Li slab is not a stable surface).
    """
    if not (math.isfinite(gamma_li_ev_per_a2) and gamma_li_ev_per_a2 > 0):
        msg = f"gamma_li_ev_per_a2: {gamma_li_ev_per_a2!r} must be positive"
        raise AnalysisError(msg)
    cos_raw = adhesion_ev_per_a2 / gamma_li_ev_per_a2 - 1.0
    if cos_raw >= 1.0:
        return cos_raw, 0.0, "complete wetting"
    if cos_raw <= -1.0:
        return cos_raw, 180.0, "non-wetting"
    return cos_raw, math.degrees(math.acos(cos_raw)), "partial wetting"


def to_j_per_m2(value_ev_per_a2: float) -> float:
    """Return an energy per area in J/m² from eV/Å² (:data:`~lithiophilic.units.EV_PER_A2_TO_J_PER_M2`)."""
    return value_ev_per_a2 * EV_PER_A2_TO_J_PER_M2
