"""Li incorporation into a skin (issue 20): surface planes and dilute bulk, vs bcc Li.

Reads top to bottom: the documents (:class:`LiSurfaceIncorporationDoc`,
:class:`LiBulkIncorporationDoc`), the ``@job`` functions that combine relaxations, the fan-out
job of the surface starts, the Makers. Formulas: :mod:`lithiophilic.analysis.incorporation`
(:data:`~lithiophilic.analysis.incorporation.INCORPORATION_DEFINITION`); negative = Li prefers
to enter the skin.

* Surface (:class:`LiSurfaceIncorporationMaker`): on the relaxed clean slab of the single-Li
  (5c) flows, repeated laterally as the 5c flows repeat it (so the clean supercell relaxation
  is the one the Li-pair flow stores), one skin atom of the outermost plane (1) and of the
  subsurface plane (2) is replaced by Li (one start per element and plane), and one Li is put
  between planes 1 and 2 in the most open point (:mod:`lithiophilic.structures.li_incorporation`).
  The removed atom goes to its element's relaxed bulk (the surface study's bulk Maker: the
  same job as the skin-dissolution flow's reference).
* Bulk (:class:`LiBulkIncorporationMaker`): one skin atom of a bulk supercell at least 8 Å wide
  replaced by Li (one per element), cell and positions relaxed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from jobflow import Flow, Maker, Response, job
from pydantic import Field
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor

from lithiophilic import defaults
from lithiophilic.analysis.incorporation import (
    INCORPORATION_DEFINITION,
    interstitial_energy_ev,
    substitution_energy_ev,
)
from lithiophilic.errors import ConfigurationError
from lithiophilic.potentials import CalculatorSpec
from lithiophilic.structures import make_bulk
from lithiophilic.structures.li_incorporation import (
    DILUTE_MIN_WIDTH_A,
    bulk_supercell,
    depth_below_outermost_plane_a,
    planes_from_top,
    substitution_starts,
    subsurface_interstitial_start,
)
from lithiophilic.structures.sites import lateral_supercell_for_spacing
from lithiophilic.workflows.base import AseRelaxMaker, CalculatorProvenance
from lithiophilic.workflows.binding import (
    LiReferenceDoc,
    LiSiteBindingMaker,
    li_bcc_structure,
    substrate_bulk,
)
from lithiophilic.workflows.task_docs import (
    as_calc_doc,
    check_maker_elements,
    make_calc_job,
    with_calculator_spec,
)

__all__ = [
    "LiBulkIncorporationDoc",
    "LiBulkIncorporationMaker",
    "LiSurfaceIncorporationDoc",
    "LiSurfaceIncorporationMaker",
    "bulk_incorporation_result",
    "bulk_relax_maker",
    "element_structure",
    "surface_incorporation_jobs",
    "surface_incorporation_result",
]

#: A Li whose depth changed by more than this fraction of the plane 1-2 spacing left its plane.
LEFT_PLANE_FRACTION = 0.5


def bulk_relax_maker() -> AseRelaxMaker:
    """Return the cell-and-positions bulk relaxation of the surface study (its defaults)."""
    return AseRelaxMaker(
        name="bulk relax",
        relax_cell=True,
        fmax_ev_per_a=defaults.BULK_FMAX_EV_PER_A,
        max_steps=defaults.BULK_MAX_STEPS,
    )


def element_structure(element: str) -> Structure:
    """Return X's elemental ground-state cell (:func:`~lithiophilic.structures.make_bulk`)."""
    struct = AseAtomsAdaptor.get_structure(make_bulk(element))
    struct.properties = {}
    return struct


def _structure(atoms: Any) -> Structure:
    st = AseAtomsAdaptor.get_structure(atoms)
    st.properties = {}
    return st


class LiSurfaceIncorporationDoc(CalculatorProvenance):
    """Li substituting a skin atom / interstitial in the outermost and subsurface planes."""

    doc_type: Literal["li_surface_incorporation"] = Field(
        "li_surface_incorporation", description="Document family."
    )
    material: str = Field(description="Skin label.")
    miller: list[int] = Field(description="Facet.")
    supercell: list[int] = Field(description="Lateral repetition of the relaxed 1x1 slab.")
    host_energy_ev: float = Field(description="E(host): relaxed clean slab supercell, eV.")
    li_energy_per_atom_ev: float = Field(description="eps_Li of relaxed bcc Li, eV/atom.")
    element_energy_per_atom_ev: dict[str, float] = Field(
        description="eps_X of each skin element's relaxed ground state, eV/atom."
    )
    plane_spacing_a: float = Field(description="Spacing of planes 1 and 2 of the host, Å.")
    configurations: list[dict[str, Any]] = Field(
        description="Per start: kind (substitutional/interstitial), plane (1 outermost, 2 "
        "subsurface; 1.5 between), element replaced, energy_ev, incorporation_energy_ev, "
        "depth_start_a / depth_final_a (below the outermost plane), stayed, converged, used."
    )
    substitution_surface_energy_ev: float | None = Field(
        description="Best E_sub in plane 1, eV per Li (negative = Li enters); None: none used."
    )
    substitution_subsurface_energy_ev: float | None = Field(
        description="Best E_sub in plane 2, eV per Li; None: none used."
    )
    interstitial_subsurface_energy_ev: float | None = Field(
        description="E_int of the explicit start between planes 1 and 2, eV per Li; None: the "
        "Li left that position or did not converge."
    )
    converged: bool = Field(description="Host and every start converged.")
    definition: str = Field(INCORPORATION_DEFINITION, description="Convention.")


def _configuration_row(
    start: dict[str, Any], doc: Any, host: Any, eps_li: float, eps_x: dict[str, float], d12: float
) -> dict[str, Any]:
    """Score one relaxed start: energy, where the Li ended, whether it is used."""
    atoms = AseAtomsAdaptor.get_atoms(doc.structure)
    li = [a.index for a in atoms if a.symbol == "Li"][-1]
    depth = depth_below_outermost_plane_a(atoms, li)
    stayed = abs(depth - start["depth_start_a"]) <= LEFT_PLANE_FRACTION * d12
    if start["kind"] == "substitutional":
        energy = substitution_energy_ev(
            doc.energy_ev, host.energy_ev, eps_li, eps_x[start["element"]]
        )
    else:
        energy = interstitial_energy_ev(doc.energy_ev, host.energy_ev, eps_li)
    return {
        **start,
        "energy_ev": doc.energy_ev,
        "incorporation_energy_ev": energy,
        "depth_final_a": depth,
        "stayed": bool(stayed),
        "converged": bool(doc.converged),
        "used": bool(stayed and doc.converged),
    }


def _best(rows: list[dict[str, Any]], kind: str, plane: float) -> float | None:
    values = [
        r["incorporation_energy_ev"]
        for r in rows
        if r["kind"] == kind and r["plane"] == plane and r["used"]
    ]
    return min(values) if values else None


@job(output_schema=LiSurfaceIncorporationDoc)
def surface_incorporation_result(
    host: Any,
    defects: list[Any],
    starts: list[dict[str, Any]],
    reference: Any,
    element_refs: dict[str, Any],
    context: dict[str, Any],
) -> LiSurfaceIncorporationDoc:
    """Combine the host, the Li starts and the references into a LiSurfaceIncorporationDoc."""
    host = as_calc_doc(host)
    ref = LiReferenceDoc.model_validate(reference)
    eps_x = {el: as_calc_doc(d).energy_per_atom_ev for el, d in element_refs.items()}
    d12 = float(context["plane_spacing_a"])
    rows = [
        _configuration_row(s, as_calc_doc(d), host, ref.bcc_energy_per_atom_ev, eps_x, d12)
        for s, d in zip(starts, defects, strict=True)
    ]
    return LiSurfaceIncorporationDoc(
        **context,
        host_energy_ev=host.energy_ev,
        li_energy_per_atom_ev=ref.bcc_energy_per_atom_ev,
        element_energy_per_atom_ev=eps_x,
        configurations=rows,
        substitution_surface_energy_ev=_best(rows, "substitutional", 1),
        substitution_subsurface_energy_ev=_best(rows, "substitutional", 2),
        interstitial_subsurface_energy_ev=_best(rows, "interstitial", 1.5),
        converged=bool(host.converged and all(r["converged"] for r in rows)),
        calculator_name=host.calculator_name,
        calculator_version=host.calculator_version,
        calculator_model=host.calculator_model,
    )


@job
def surface_incorporation_jobs(
    maker: LiSiteBindingMaker,
    material: str,
    miller: list[int],
    relaxed_slab: Any,
    reference: Any,
    element_refs: dict[str, Any],
) -> Response:
    """Relax the clean supercell and every Li start on it (module docstring); fan-out job."""
    slab = AseAtomsAdaptor.get_atoms(as_calc_doc(relaxed_slab).structure)
    n1, n2 = lateral_supercell_for_spacing(slab, min_image_distance_a=maker.min_li_distance_a)
    sup = slab.repeat((n1, n2, 1))
    planes = planes_from_top(sup)
    z1 = float(sup.positions[planes[0], 2].mean())
    d12 = z1 - float(sup.positions[planes[1], 2].mean())
    starts, structures = [], []
    for s in substitution_starts(sup):
        starts.append(
            {
                "kind": "substitutional",
                "plane": s["plane"],
                "element": s["element"],
                "depth_start_a": z1 - float(sup.positions[s["index"], 2]),
            }
        )
        structures.append(s["atoms"])
    inter, info = subsurface_interstitial_start(sup)
    starts.append(
        {
            "kind": "interstitial",
            "plane": 1.5,
            "element": None,
            "depth_start_a": z1 - info["height_a"],
            "lateral_clearance_a": info["lateral_clearance_a"],
        }
    )
    structures.append(inter)
    label = f"{material} {''.join(map(str, miller))} Li inc"
    relax = maker.li_relax_maker
    clean = make_calc_job(relax, _structure(sup), f"{material} {''.join(map(str, miller))} clean")
    clean.append_name(f" {label} clean")
    jobs = []
    for s, atoms in zip(starts, structures, strict=True):
        tag = f"{s['kind'][:5]} p{s['plane']}" + (f" {s['element']}" if s["element"] else "")
        j = make_calc_job(relax, _structure(atoms), f"{label} {tag}")
        j.append_name(f" {label} {tag}")
        jobs.append(j)
    context = {
        "material": material,
        "miller": list(miller),
        "supercell": [n1, n2],
        "plane_spacing_a": d12,
    }
    result = surface_incorporation_result(
        clean.output, [j.output for j in jobs], starts, reference, element_refs, context
    )
    result.append_name(f" {label}")
    return Response(replace=Flow([clean, *jobs, result], output=result.output))


@dataclass
class LiSurfaceIncorporationMaker(Maker):
    """Li in the outermost and subsurface planes of a skin; stores a LiSurfaceIncorporationDoc.

    Steps: 1. the 5c flow's bulk, Li references and clean slab (``site_maker.clean_slab_jobs``,
    reused from the database; a multi-atom cell uses termination ``site_maker.termination``,
    index 0 for ``"lowest_gamma"``); 2. each skin element's relaxed ground state; 3. the
    fan-out :func:`surface_incorporation_jobs`.

    Parameters
    ----------
    name
        Flow name.
    site_maker
        The 5c Maker (slab settings, Li relaxation, supercell spacing).
    """

    name: str = "Li incorporation (surface)"
    site_maker: LiSiteBindingMaker = field(default_factory=LiSiteBindingMaker)

    def make(self, material: Any, miller: list[int], *, name: str | None = None) -> Flow:
        """Build the flow of one skin and facet.

        Raises
        ------
        ConfigurationError
            For bad input the 5c Maker rejects.
        """
        jobs, relax, ref, _ = self.site_maker.clean_slab_jobs(material, miller, name=name)
        atoms, label, _ = substrate_bulk(material, self.site_maker.surface_maker, name=name)
        bulk_maker = self.site_maker.surface_maker.bulk_relax_maker
        refs = {}
        for element in sorted(set(atoms.get_chemical_symbols())):
            refs[element] = make_calc_job(bulk_maker, element_structure(element), f"{element} bulk")
            refs[element].append_name(f" {element}")
        fan = surface_incorporation_jobs(
            self.site_maker,
            label,
            [int(i) for i in miller],
            relax.output,
            ref.output,
            {el: j.output for el, j in refs.items()},
        )
        fan.append_name(f" {label}")
        return Flow([*jobs, *refs.values(), fan], output=fan.output, name=f"{self.name} {label}")


class LiBulkIncorporationDoc(CalculatorProvenance):
    """Dilute substitutional Li in the skin's bulk, vs bcc Li and the removed atom's bulk."""

    doc_type: Literal["li_bulk_incorporation"] = Field(
        "li_bulk_incorporation", description="Document family."
    )
    material: str = Field(description="Skin label.")
    n_atoms_host: int = Field(description="Atoms of the host supercell.")
    supercell: list[int] = Field(description="Repetition of the skin's bulk cell.")
    min_width_a: float = Field(description="Smallest perpendicular width asked for, Å.")
    host_energy_ev: float = Field(description="E(host): relaxed bulk supercell, eV.")
    li_energy_per_atom_ev: float = Field(description="eps_Li of relaxed bcc Li, eV/atom.")
    element_energy_per_atom_ev: dict[str, float] = Field(
        description="eps_X of each skin element's relaxed ground state, eV/atom."
    )
    configurations: list[dict[str, Any]] = Field(
        description="Per replaced element: energy_ev, incorporation_energy_ev, converged."
    )
    substitution_bulk_energy_ev: float | None = Field(
        description="Best E_sub = E(host, X -> Li) - E(host) - eps_Li + eps_X, eV per Li "
        "(negative = Li dissolves in the skin); None: no converged start."
    )
    converged: bool = Field(description="Every relaxation converged.")
    definition: str = Field(INCORPORATION_DEFINITION, description="Convention.")


@job(output_schema=LiBulkIncorporationDoc)
def bulk_incorporation_result(
    host: Any,
    defects: dict[str, Any],
    li_bulk: Any,
    element_refs: dict[str, Any],
    context: dict[str, Any],
) -> LiBulkIncorporationDoc:
    """Combine the relaxations into a LiBulkIncorporationDoc."""
    host, li = as_calc_doc(host), as_calc_doc(li_bulk)
    eps_x = {el: as_calc_doc(d).energy_per_atom_ev for el, d in element_refs.items()}
    rows = []
    for element, d in defects.items():
        doc = as_calc_doc(d)
        rows.append(
            {
                "element": element,
                "energy_ev": doc.energy_ev,
                "incorporation_energy_ev": substitution_energy_ev(
                    doc.energy_ev, host.energy_ev, li.energy_per_atom_ev, eps_x[element]
                ),
                "converged": bool(doc.converged),
            }
        )
    used = [r["incorporation_energy_ev"] for r in rows if r["converged"]]
    return LiBulkIncorporationDoc(
        **context,
        n_atoms_host=host.n_atoms,
        host_energy_ev=host.energy_ev,
        li_energy_per_atom_ev=li.energy_per_atom_ev,
        element_energy_per_atom_ev=eps_x,
        configurations=rows,
        substitution_bulk_energy_ev=min(used) if used and host.converged else None,
        converged=bool(host.converged and li.converged and all(r["converged"] for r in rows)),
        calculator_name=host.calculator_name,
        calculator_version=host.calculator_version,
        calculator_model=host.calculator_model,
    )


@dataclass
class LiBulkIncorporationMaker(Maker):
    """Dilute substitutional Li in a skin's bulk; stores a LiBulkIncorporationDoc.

    Parameters
    ----------
    name
        Flow name.
    relax_maker
        Cell-and-positions relaxation (the surface study's bulk Maker: bcc Li and the elements'
        ground states are the jobs the other flows store).
    min_width_a
        Smallest perpendicular width of the supercell, Å (>= 6).
    """

    name: str = "Li in skin bulk"
    relax_maker: Maker = field(default_factory=lambda: bulk_relax_maker())
    min_width_a: float = DILUTE_MIN_WIDTH_A

    def __post_init__(self) -> None:
        if not 6.0 <= float(self.min_width_a) <= 20.0:
            msg = f"min_width_a: {self.min_width_a} Å is outside the allowed range 6–20 Å"
            raise ConfigurationError(msg)

    def with_calculator(self, calculator: CalculatorSpec) -> LiBulkIncorporationMaker:
        """Return a copy whose relaxations use ``calculator``."""
        return replace(self, relax_maker=with_calculator_spec(self.relax_maker, calculator))

    def make(self, material: Any, *, name: str | None = None, surface_maker: Any = None) -> Flow:
        """Build the flow of one skin (its bulk as the 5c flows build it).

        Raises
        ------
        ConfigurationError
            For an unknown material or a calculator without the skin's elements and Li.
        """
        atoms, label, _ = substrate_bulk(material, surface_maker, name=name)
        elements = sorted(set(atoms.get_chemical_symbols()))
        check_maker_elements(self.relax_maker, [*elements, "Li"])
        sup = bulk_supercell(atoms, min_width_a=self.min_width_a)
        host = make_calc_job(self.relax_maker, _structure(sup), f"{label} bulk supercell")
        host.append_name(f" {label} host")
        li = make_calc_job(self.relax_maker, li_bcc_structure(), "Li reference bulk")
        li.append_name(" Li (reference)")
        defects, refs = {}, {}
        for element in elements:
            start = sup.copy()
            start[next(a.index for a in sup if a.symbol == element)].symbol = "Li"
            defects[element] = make_calc_job(
                self.relax_maker, _structure(start), f"{label} Li on {element} site"
            )
            defects[element].append_name(f" {label} Li on {element}")
            refs[element] = make_calc_job(
                self.relax_maker, element_structure(element), f"{element} bulk"
            )
            refs[element].append_name(f" {element}")
        context = {
            "material": label,
            "supercell": [int(i) for i in sup.info["supercell"]],
            "min_width_a": float(self.min_width_a),
        }
        result = bulk_incorporation_result(
            host.output,
            {el: j.output for el, j in defects.items()},
            li.output,
            {el: j.output for el, j in refs.items()},
            context,
        )
        result.append_name(f" {label}")
        jobs = [host, li, *defects.values(), *refs.values(), result]
        return Flow(jobs, output=result.output, name=f"{self.name} {label}")
