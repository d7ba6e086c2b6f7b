"""Wetting of a skin by a Li film: adhesion energy and contact angle (issue 20).

Reads top to bottom: structure helpers, the document (:class:`LiWettingDoc`), the ``@job``
functions (:func:`wetting_jobs` fans out the film relaxations, :func:`wetting_result`
combines them) and the Maker (:class:`LiWettingMaker`).

The interface is the 5d construction (:class:`~lithiophilic.workflows.binding.LiMultilayerMaker`,
``construction="bcc110"``): N bcc Li(110) layers in the smallest coincidence cell of the skin's
relaxed slab whose principal Li strains are within ``max_strain``, grown layer by layer, so
E(0) (the skin slab in that cell) and E(N) (the interface) come from the 5d flow and its
n = 1 step is the screen's first-layer job (reused). Then, with the same calculator:

1. the strained free film: the N Li layers of the relaxed interface alone, same cell, relaxed;
2. the unstrained film: N layers of bcc Li(110) (1×1 cell, the calculator's bcc lattice
   constant), relaxed; the strain energy is E(1) − E(2) scaled to the same Li count;
3. a relaxed Li(110) slab of ``gamma_layers`` layers: γ_Li(110);
4. :class:`LiWettingDoc`: W_adh, the strain energy, γ_Li and the contact angle
   (:mod:`lithiophilic.analysis.wetting`, :data:`~lithiophilic.analysis.wetting.WETTING_DEFINITION`).

A coincidence cell beyond ``max_strain`` is refused when the flow is built
(:func:`check_coincidence_cell`, on the unrelaxed lattice; random alloys on the fcc lattice of
their mean volume), and again by the 5d job on the relaxed slab.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from jobflow import Flow, Maker, Response, job
from pydantic import ConfigDict, Field
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor

from lithiophilic.analysis.wetting import (
    WETTING_DEFINITION,
    adhesion_energy_ev_per_a2,
    contact_angle,
    film_strain_energy_ev,
    li_surface_energy_ev_per_a2,
    to_j_per_m2,
)
from lithiophilic.errors import ConfigurationError
from lithiophilic.structures import make_bulk
from lithiophilic.structures.li_layers import DEFAULT_MAX_CELLS, MAX_LI_LAYERS
from lithiophilic.workflows.base import CalculatorProvenance
from lithiophilic.workflows.binding import LiMultilayerMaker, substrate_bulk, substrate_label
from lithiophilic.workflows.binding.jobs import li_bcc_structure
from lithiophilic.workflows.task_docs import as_calc_doc, make_calc_job

__all__ = [
    "DEFAULT_GAMMA_LAYERS",
    "DEFAULT_WETTING_LAYERS",
    "LiWettingDoc",
    "LiWettingMaker",
    "check_coincidence_cell",
    "li110_film_structure",
    "wetting_jobs",
    "wetting_result",
]

logger = logging.getLogger(__name__)

#: Li(110) layers of the film (issue 20: at least 4).
DEFAULT_WETTING_LAYERS = 4
#: Layers of the Li(110) slab of γ_Li.
DEFAULT_GAMMA_LAYERS = 8
#: Vacuum of the free Li films, Å.
FILM_VACUUM_A = 15.0


# --------------------------------------------------------------------------- structures
def _structure(atoms: Any) -> Structure:
    st = AseAtomsAdaptor.get_structure(atoms)
    st.properties = {}
    return st


def li110_film_structure(
    n_layers: int, li_bcc_a_a: float, vacuum_a: float = FILM_VACUUM_A
) -> Structure:
    """Return an unstrained bcc Li(110) film: ``n_layers`` layers of one Li each (1×1 cell)."""
    from ase.build import bcc110

    return _structure(bcc110("Li", size=(1, 1, n_layers), a=li_bcc_a_a, vacuum=vacuum_a / 2))


def free_film_structure(interface: Structure, n_li: int) -> Structure:
    """Return the last ``n_li`` atoms (the Li film) of a relaxed interface, same cell, none fixed."""
    atoms = AseAtomsAdaptor.get_atoms(interface)
    atoms.set_constraint()
    film = atoms[len(atoms) - n_li :]
    if set(film.get_chemical_symbols()) != {"Li"}:
        msg = f"the last {n_li} atoms of the interface are not all Li"
        raise ConfigurationError(msg)
    return _structure(film)


def check_coincidence_cell(
    material: Any,
    miller: list[int],
    *,
    max_strain: float,
    multilayer: LiMultilayerMaker,
    name: str | None = None,
    field_name: str = "max_strain",
    bulk: tuple[Any, str] | None = None,
) -> dict[str, Any]:
    """Check that a Li(110) coincidence cell within ``max_strain`` exists on the unrelaxed slab.

    The slab is cut as the 5c/5d flows cut it, from the catalogue bulk (random alloys: the fcc
    lattice of their mean volume per atom); the Li lattice constant is the catalogue's.
    ``bulk``: (bulk Atoms, substrate kind) when the caller has them (an SQS is not rebuilt).

    Returns
    -------
    dict
        ``max_strain`` found, ``strains`` (principal), ``cells`` (supercell index), ``li_per_layer``.

    Raises
    ------
    ConfigurationError
        Naming ``field_name``, when no cell of up to ``DEFAULT_MAX_CELLS`` slab cells holds it.
    """
    from ase.build import bulk as ase_bulk

    from lithiophilic.structures import make_slabs
    from lithiophilic.structures.li_layers import bcc_li_nn_distance_a, search_bcc110

    sm = multilayer.site_maker.surface_maker
    atoms, kind = bulk if bulk is not None else substrate_bulk(material, sm, name=name)[::2]
    if kind == "sqs":
        a_eff = (4.0 * atoms.get_volume() / len(atoms)) ** (1.0 / 3.0)
        atoms, kind = ase_bulk("Cu", "fcc", a=a_eff), "simple"
    ((n_layers, min_t), *_) = sm._thickness_plan(kind, miller)
    slab = make_slabs(
        atoms, tuple(miller), n_layers=n_layers, min_thickness_a=min_t, vacuum_a=sm.vacuum_a
    )[0]
    a_li = float(make_bulk("Li").info["a_a"])
    cell2d = np.asarray(slab.cell, float)[:2, :2]
    try:
        found = search_bcc110(
            cell2d, bcc_li_nn_distance_a(a_li), a_li, max_strain, DEFAULT_MAX_CELLS
        )
    except ConfigurationError as exc:
        label = substrate_label(material, name)
        msg = f"{field_name}: {label} {''.join(map(str, miller))}: {exc}"
        raise ConfigurationError(msg) from None
    return {
        "max_strain": float(found["max_strain"]),
        "strains": [float(s) for s in found["strains"]],
        "cells": int(found["m"]),
        "li_per_layer": int(found["n"]),
    }


# --------------------------------------------------------------------------- document
class LiWettingDoc(CalculatorProvenance):
    """A bcc Li(110) film on a skin: adhesion, film strain, γ_Li(110), contact angle."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    doc_type: Literal["li_wetting"] = Field("li_wetting", description="Document family.")
    material: str = Field(description="Skin label.")
    miller: list[int] = Field(description="Facet.")
    n_layers_li: int = Field(description="Li(110) layers of the film.")
    li_per_layer: int = Field(description="Li atoms per layer in the coincidence cell.")
    n_li: int = Field(description="Li atoms of the film.")
    area_a2: float = Field(description="Interface area A (coincidence cell), Å².")
    li_layer_strain: dict[str, Any] | None = Field(
        None, description="Principal/areal strain of the Li layer (fractions), max allowed, cell."
    )
    max_strain_allowed: float = Field(description="Bound on the principal Li strain (fraction).")
    substrate_energy_ev: float = Field(description="E(skin slab), coincidence cell, relaxed, eV.")
    interface_energy_ev: float = Field(description="E(skin + N Li layers), relaxed, eV.")
    strained_film_energy_ev: float = Field(description="E(free film, same cell), relaxed, eV.")
    unstrained_film_energy_per_atom_ev: float = Field(
        description="E/N of the relaxed unstrained N-layer Li(110) film, eV/atom."
    )
    strain_energy_ev: float = Field(
        description="E(strained film) - E(unstrained film, same N and Li count), eV."
    )
    strain_energy_per_li_ev: float = Field(description="strain_energy_ev / n_li, eV/Li.")
    adhesion_energy_ev_per_a2: float = Field(
        description="W_adh = [E(skin) + E(strained film) - E(interface)]/A, eV/Å²; > 0: adheres."
    )
    adhesion_energy_j_per_m2: float = Field(description="W_adh in J/m².")
    li_surface_energy_ev_per_a2: float = Field(description="γ_Li(110) = [E - N eps]/(2A), eV/Å².")
    li_surface_energy_j_per_m2: float = Field(description="γ_Li(110) in J/m².")
    gamma_layers: int = Field(description="Layers of the Li(110) slab of γ_Li.")
    cos_contact_angle_raw: float = Field(
        description="cos θ = W_adh/γ_Li - 1 before clamping (Young-Dupré)."
    )
    contact_angle_deg: float = Field(description="θ, degrees, clamped to 0-180.")
    wetting_regime: Literal["complete wetting", "partial wetting", "non-wetting"] = Field(
        description="cos θ >= 1: complete wetting; <= -1: non-wetting; else partial."
    )
    bcc_energy_per_atom_ev: float = Field(description="eps_Li(bcc), eV/atom.")
    bcc_lattice_a_a: float = Field(description="Relaxed bcc Li lattice constant, Å.")
    converged: bool = Field(description="Every relaxation (interface, films, slabs) converged.")
    unconverged: list[str] = Field(default_factory=list, description="Relaxations that did not.")
    structure_hashes: dict[str, str] = Field(
        default_factory=dict, description="Final structure hash per relaxation (provenance)."
    )
    settings: dict[str, Any] = Field(
        default_factory=dict, description="Relaxation settings (fmax, steps, optimizer, growth)."
    )
    interface_structure: Structure | None = Field(None, description="Relaxed interface.")
    definition: str = Field(WETTING_DEFINITION, description="Convention.")


# --------------------------------------------------------------------------- jobs
def _as_dict(doc: Any) -> dict[str, Any]:
    return doc.model_dump() if hasattr(doc, "model_dump") else dict(doc)


def _as_structure(value: Any) -> Structure:
    return value if isinstance(value, Structure) else Structure.from_dict(value)


@job
def wetting_jobs(
    maker: LiWettingMaker, multilayer: Any, bcc: Any, material: str, miller: list[int]
) -> Response:
    """Relax the strained free film, the unstrained film and the γ_Li slab; then the document.

    ``multilayer`` is the 5d flow's LiMultilayerDoc (n = 0…N), ``bcc`` the relaxed bcc Li.
    """
    ml = _as_dict(multilayer)
    bcc_doc = as_calc_doc(bcc)
    a_bcc = (2.0 * bcc_doc.volume_a3 / bcc_doc.n_atoms) ** (1.0 / 3.0)
    n = int(ml["n_layers"][-1])
    n_li = n * int(ml["li_per_layer"])
    label = f"{material} {''.join(map(str, miller))}"
    relax = maker.layer_maker.li_relax_maker
    film = free_film_structure(_as_structure(ml["relaxed_structures"][-1]), n_li)
    starts = {
        "strained film": film,
        "unstrained film": li110_film_structure(n, a_bcc),
        "gamma slab": li110_film_structure(maker.gamma_layers, a_bcc),
    }
    jobs = {k: make_calc_job(relax, st, f"{label} Li(110) {k}") for k, st in starts.items()}
    for k, j in jobs.items():
        j.append_name(f" {label} Li(110) {k}")
    result = wetting_result(
        ml,
        jobs["strained film"].output,
        jobs["unstrained film"].output,
        jobs["gamma slab"].output,
        bcc_doc,
        {"material": material, "miller": list(miller), "n_li": n_li, "relax": relax},
    )
    result.append_name(f" {label}")
    return Response(replace=Flow([*jobs.values(), result], output=result.output))


def _settings(relax: Any, ml: dict[str, Any]) -> dict[str, Any]:
    keys = ("fmax_ev_per_a", "max_steps", "optimizer")
    out = {k: getattr(relax, k) for k in keys if hasattr(relax, k)}
    out.update({"construction": ml.get("construction"), "growth": ml.get("growth")})
    return out


@job(output_schema=LiWettingDoc, data=["interface_structure"])
def wetting_result(
    multilayer: dict[str, Any],
    strained: Any,
    unstrained: Any,
    gamma_slab: Any,
    bcc: Any,
    context: dict[str, Any],
) -> LiWettingDoc:
    """Combine the relaxations into W_adh, the strain energy, γ_Li and the contact angle."""
    ml = _as_dict(multilayer)
    films = {"strained film": strained, "unstrained film": unstrained, "gamma slab": gamma_slab}
    calcs = {k: as_calc_doc(v) for k, v in films.items()}
    bcc = as_calc_doc(bcc)
    interface = _as_structure(ml["relaxed_structures"][-1])
    area = float(np.linalg.norm(np.cross(interface.lattice.matrix[0], interface.lattice.matrix[1])))
    e0, e_int = float(ml["energies_ev"][0]), float(ml["energies_ev"][-1])
    n_li = int(context["n_li"])
    w = adhesion_energy_ev_per_a2(e0, calcs["strained film"].energy_ev, e_int, area)
    un = calcs["unstrained film"]
    strain = film_strain_energy_ev(calcs["strained film"].energy_ev, n_li, un.energy_ev, un.n_atoms)
    gs = calcs["gamma slab"]
    gs_lat = gs.structure.lattice.matrix
    gamma = li_surface_energy_ev_per_a2(
        gs.energy_ev,
        gs.n_atoms,
        bcc.energy_per_atom_ev,
        float(np.linalg.norm(np.cross(gs_lat[0], gs_lat[1]))),
    )
    cos_raw, theta, regime = contact_angle(w, gamma)
    unconverged = [f"interface n={k}" for k, ok in enumerate(ml["converged"]) if not ok]
    unconverged += [k for k, c in calcs.items() if not c.converged]
    strain_info = ml.get("li_layer_strain") or {}
    return LiWettingDoc(
        material=context["material"],
        miller=context["miller"],
        n_layers_li=int(ml["n_layers"][-1]),
        li_per_layer=int(ml["li_per_layer"]),
        n_li=n_li,
        area_a2=area,
        li_layer_strain=strain_info or None,
        max_strain_allowed=float(strain_info.get("max_strain_allowed") or math.nan),
        substrate_energy_ev=e0,
        interface_energy_ev=e_int,
        strained_film_energy_ev=calcs["strained film"].energy_ev,
        unstrained_film_energy_per_atom_ev=un.energy_per_atom_ev,
        strain_energy_ev=strain,
        strain_energy_per_li_ev=strain / n_li,
        adhesion_energy_ev_per_a2=w,
        adhesion_energy_j_per_m2=to_j_per_m2(w),
        li_surface_energy_ev_per_a2=gamma,
        li_surface_energy_j_per_m2=to_j_per_m2(gamma),
        gamma_layers=gs.n_atoms,
        cos_contact_angle_raw=cos_raw,
        contact_angle_deg=theta,
        wetting_regime=regime,
        bcc_energy_per_atom_ev=bcc.energy_per_atom_ev,
        bcc_lattice_a_a=(2.0 * bcc.volume_a3 / bcc.n_atoms) ** (1.0 / 3.0),
        converged=not unconverged,
        unconverged=unconverged,
        structure_hashes={k: c.structure_hash for k, c in calcs.items()},
        settings=_settings(context["relax"], ml),
        interface_structure=interface,
        calculator_name=bcc.calculator_name,
        calculator_version=bcc.calculator_version,
        calculator_model=bcc.calculator_model,
    )


# --------------------------------------------------------------------------- Maker
@dataclass
class LiWettingMaker(Maker):
    """Adhesion and contact angle of an N-layer bcc Li(110) film on a skin.

    Steps: the 5d flow of ``layer_maker`` with ``max_layers = n_layers`` (references, clean
    slab, n = 0…N layers in the coincidence cell, each reused from the database), the relaxed
    bcc Li, then :func:`wetting_jobs` (module docstring).

    Parameters
    ----------
    name
        Flow name.
    layer_maker
        The 5d Maker (its slab, references, relaxation and ``max_strain``; ``complex_max_strain``
        on multi-atom cells).
    n_layers
        N, Li(110) layers of the film (1–10; ≥ 4 for a film, fewer only for quick screens).
    gamma_layers
        Layers of the Li(110) slab of γ_Li (4–20).
    """

    name: str = "Li wetting"
    layer_maker: LiMultilayerMaker = field(default_factory=LiMultilayerMaker)
    n_layers: int = DEFAULT_WETTING_LAYERS
    gamma_layers: int = DEFAULT_GAMMA_LAYERS

    def __post_init__(self) -> None:
        if not 1 <= int(self.n_layers) <= MAX_LI_LAYERS:
            msg = f"n_layers: {self.n_layers} is outside the allowed range 1–{MAX_LI_LAYERS}"
            raise ConfigurationError(msg)
        if not 4 <= int(self.gamma_layers) <= 20:
            msg = f"gamma_layers: {self.gamma_layers} is outside the allowed range 4–20"
            raise ConfigurationError(msg)
        if self.layer_maker.construction != "bcc110":
            msg = f"layer_maker: construction {self.layer_maker.construction!r}; wetting needs 'bcc110'"
            raise ConfigurationError(msg)

    def strain_bound(self, kind: str) -> float:
        """Return the Li strain bound on a substrate of ``kind`` (``complex_max_strain`` on γ-brass, hcp …)."""
        lm = self.layer_maker
        return float(
            lm.complex_max_strain if kind == "complex" and lm.complex_max_strain else lm.max_strain
        )

    def make(
        self,
        material: Any,
        miller: list[int],
        *,
        name: str | None = None,
        strain_field: str = "max_strain",
        bulk: tuple[Any, str] | None = None,
    ) -> Flow:
        """Build the flow of one skin and facet.

        Raises
        ------
        ConfigurationError
            Naming ``strain_field`` when no coincidence cell is within the strain bound, or
            for input the 5d Maker rejects. ``bulk``: (Atoms, kind) of ``material`` if known.
        """
        miller = [int(i) for i in miller]
        bulk = (
            bulk
            or substrate_bulk(material, self.layer_maker.site_maker.surface_maker, name=name)[::2]
        )
        check_coincidence_cell(
            material,
            miller,
            max_strain=self.strain_bound(bulk[1]),
            multilayer=self.layer_maker,
            name=name,
            field_name=strain_field,
            bulk=bulk,
        )
        layers = replace(self.layer_maker, max_layers=int(self.n_layers))
        ml = layers.make(material, miller, name=name)
        bulk_maker = self.layer_maker.site_maker.surface_maker.bulk_relax_maker
        bcc = make_calc_job(bulk_maker, li_bcc_structure(), "Li reference bulk")
        bcc.append_name(" Li (reference)")
        label = substrate_label(material, name)
        fan = wetting_jobs(self, ml.output, bcc.output, label, miller)
        fan.append_name(f" {label} {''.join(map(str, miller))}")
        return Flow([ml, bcc, fan], output=fan.output, name=f"{self.name} {label}")
