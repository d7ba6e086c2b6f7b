"""Jobs of the skin screen (issue 20) that no other study stores: a skin atom dissolved in Li.

Reads top to bottom: the result document (:class:`SkinDissolutionDoc`), the ``@job`` that
combines the relaxations (:func:`skin_dissolution_result`), the Maker
(:class:`SkinDissolutionMaker`). The relaxations are ordinary
:class:`~lithiophilic.workflows.base.AseRelaxMaker` jobs, so a bulk another study relaxed with
the same Maker and calculator (the skin element's ground state, e.g. fcc Cu of the surface
study) is reused from the database through its cache key.

The Li pair on the skin (clustering descriptor, :class:`LiPairMaker`) uses the one definition
of :mod:`lithiophilic.analysis.pair_interaction`: E_int(ij) = E(ij) − E(i) − E(j) + E(0), site
i the strongest adsorbed site of the 5c flow, j the nearest site of the same kind (an equivalent
position, or on an alloy the nearest site of the same kind) at least :data:`MIN_PAIR_DISTANCE_A`
away, all four configurations relaxed in the 5c supercell with the 5c Li relaxation.

Definition (:data:`DISSOLUTION_DEFINITION`)::

    E_sol(X) = E(Li_{N-1} X) - E(Li_N) + eps_Li(bcc) - eps_X(ground state)

eV per dissolved X atom; E(Li_N) the relaxed bcc Li supercell (n×n×n conventional cells,
N = 2n³), E(Li_{N-1}X) the same supercell with one Li replaced by X (cell and positions
relaxed), eps_Li = E(Li_N)/N, eps_X the energy per atom of X's relaxed elemental ground state
(:func:`lithiophilic.structures.make_bulk`: hcp Zn/Mg, β-Sn, fcc Cu/Ag/Al …). Negative: X
dissolves into Li (mutual solubility, an alloying driving force).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from ase.build import bulk as ase_bulk
from jobflow import Flow, Maker, Response, job
from pydantic import Field
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor

from lithiophilic import defaults
from lithiophilic.analysis.pair_interaction import (
    PAIR_INTERACTION_DEFINITION,
    pair_interaction_energy_ev,
)
from lithiophilic.errors import ConfigurationError
from lithiophilic.potentials import CalculatorSpec
from lithiophilic.structures import make_bulk
from lithiophilic.structures.sites import (
    find_adsorption_sites,
    lateral_supercell_for_spacing,
    place_adsorbate,
)
from lithiophilic.workflows.base import AseRelaxMaker, CalculatorProvenance
from lithiophilic.workflows.binding import LiSiteBindingMaker
from lithiophilic.workflows.task_docs import (
    as_calc_doc,
    check_maker_elements,
    make_calc_job,
    with_calculator_spec,
)

__all__ = [
    "DISSOLUTION_DEFINITION",
    "MIN_PAIR_DISTANCE_A",
    "LiPairDoc",
    "LiPairMaker",
    "SkinDissolutionDoc",
    "SkinDissolutionMaker",
    "li_host_structure",
    "li_pair_jobs",
    "li_pair_on_5c_termination",
    "li_pair_result",
    "skin_dissolution_result",
]

#: The definition stored with every :class:`SkinDissolutionDoc`.
DISSOLUTION_DEFINITION = (
    "E_sol(X) = E(Li_{N-1}X) - E(Li_N) + eps_Li(bcc) - eps_X(ground state), eV per X atom: "
    "one Li of a relaxed bcc Li supercell (N atoms) replaced by X and relaxed (cell too), "
    "eps_X the energy per atom of X's relaxed elemental ground state; negative = X dissolves "
    "into Li."
)


class SkinDissolutionDoc(CalculatorProvenance):
    """One skin element X dissolved substitutionally in bcc Li, vs X's own bulk."""

    doc_type: Literal["skin_dissolution"] = Field(
        "skin_dissolution", description="Document family."
    )
    element: str = Field(description="The dissolved element X.")
    n_li_host: int = Field(description="N: Li atoms of the pure host supercell.")
    supercell: int = Field(description="n: the host is n×n×n conventional bcc cells (N = 2n³).")
    dissolution_energy_ev: float = Field(
        description="E_sol = E(Li_{N-1}X) - E(Li_N) + eps_Li(bcc) - eps_X, eV per X; "
        "negative = X dissolves into Li."
    )
    host_energy_ev: float = Field(description="E(Li_N), relaxed, eV.")
    solute_cell_energy_ev: float = Field(description="E(Li_{N-1}X), relaxed, eV.")
    li_energy_per_atom_ev: float = Field(description="eps_Li = E(Li_N)/N, eV/atom.")
    element_energy_per_atom_ev: float = Field(description="eps_X of X's ground state, eV/atom.")
    element_formula: str = Field(description="Reduced formula of X's relaxed ground-state cell.")
    solute_cell_volume_change: float = Field(
        description="V(Li_{N-1}X)/V(Li_N) - 1 (fraction): the host's relaxation around X."
    )
    converged: bool = Field(description="All three relaxations converged.")
    definition: str = Field(DISSOLUTION_DEFINITION, description="Convention.")


@job(output_schema=SkinDissolutionDoc)
def skin_dissolution_result(
    host: Any, solute: Any, element_bulk: Any, element: str, supercell: int
) -> SkinDissolutionDoc:
    """Combine the three relaxations into E_sol (:data:`DISSOLUTION_DEFINITION`).

    Raises
    ------
    CalculationFailed
        Never here: an unconverged relaxation fails in its own job (AseRelaxMaker) and this job
        does not run.
    """
    host, solute, ref = as_calc_doc(host), as_calc_doc(solute), as_calc_doc(element_bulk)
    eps_li = host.energy_ev / host.n_atoms
    e_sol = solute.energy_ev - host.energy_ev + eps_li - ref.energy_per_atom_ev
    return SkinDissolutionDoc(
        element=element,
        n_li_host=host.n_atoms,
        supercell=supercell,
        dissolution_energy_ev=e_sol,
        host_energy_ev=host.energy_ev,
        solute_cell_energy_ev=solute.energy_ev,
        li_energy_per_atom_ev=eps_li,
        element_energy_per_atom_ev=ref.energy_per_atom_ev,
        element_formula=ref.formula,
        solute_cell_volume_change=solute.structure.volume / host.structure.volume - 1.0,
        converged=bool(host.converged and solute.converged and ref.converged),
        calculator_name=host.calculator_name,
        calculator_version=host.calculator_version,
        calculator_model=host.calculator_model,
    )


def li_host_structure(supercell: int, solute: str | None = None) -> Structure:
    """Return n×n×n conventional bcc Li cells (a of the catalogue), atom 0 replaced by ``solute``."""
    a_a = float(make_bulk("Li").info["a_a"])
    atoms = ase_bulk("Li", "bcc", a=a_a, cubic=True).repeat((supercell,) * 3)
    if solute is not None:
        atoms[0].symbol = solute
    struct = AseAtomsAdaptor.get_structure(atoms)
    struct.properties = {}
    return struct


def _element_structure(element: str) -> Structure:
    struct = AseAtomsAdaptor.get_structure(make_bulk(element))
    struct.properties = {}
    return struct


@dataclass
class SkinDissolutionMaker(Maker):
    """Relax bcc Li_N, Li_{N-1}X and X's ground state; store a :class:`SkinDissolutionDoc`.

    Parameters
    ----------
    name
        Flow name.
    relax_maker
        Cell-and-positions relaxation of the three bulks (the surface study's bulk Maker, so
        X's ground state is reused when that study relaxed it).
    supercell
        n: the Li host is n×n×n conventional bcc cells (N = 2n³; 3 → 54 atoms, 1.9 % X).
    """

    name: str = "skin atom in Li"
    relax_maker: Maker = field(
        default_factory=lambda: AseRelaxMaker(
            name="bulk relax",
            relax_cell=True,
            fmax_ev_per_a=defaults.BULK_FMAX_EV_PER_A,
            max_steps=defaults.BULK_MAX_STEPS,
        )
    )
    supercell: int = 3

    def __post_init__(self) -> None:
        if not 2 <= int(self.supercell) <= 5:
            msg = f"supercell: {self.supercell} is outside the allowed range 2–5"
            raise ConfigurationError(msg)

    def with_calculator(self, calculator: CalculatorSpec) -> SkinDissolutionMaker:
        """Return a copy whose relaxations use ``calculator``."""
        return replace(self, relax_maker=with_calculator_spec(self.relax_maker, calculator))

    def make(self, element: str) -> Flow:
        """Build the flow of one element X.

        Raises
        ------
        ConfigurationError
            If ``element`` is Li or not an element, or the calculator does not cover X and Li.
        """
        from ase.data import chemical_symbols

        if element not in chemical_symbols[1:] or element == "Li":
            msg = f"element: {element!r} is not a skin element (a chemical symbol other than Li)"
            raise ConfigurationError(msg)
        check_maker_elements(self.relax_maker, [element, "Li"])
        n = int(self.supercell)
        host = make_calc_job(self.relax_maker, li_host_structure(n), f"Li bcc {n}x{n}x{n}")
        host.append_name(f" Li {n}x{n}x{n}")
        solute = make_calc_job(
            self.relax_maker, li_host_structure(n, element), f"{element} in Li {n}x{n}x{n}"
        )
        solute.append_name(f" {element} in Li")
        ref = make_calc_job(self.relax_maker, _element_structure(element), f"{element} bulk")
        ref.append_name(f" {element}")
        result = skin_dissolution_result(host.output, solute.output, ref.output, element, n)
        result.append_name(f" {element}")
        return Flow(
            [host, solute, ref, result], output=result.output, name=f"{self.name} {element}"
        )


#: The partner site j is at least this far (in plane) from site i, Å (no overlapping Li).
MIN_PAIR_DISTANCE_A = 2.0


class LiPairDoc(CalculatorProvenance):
    """Two Li on neighbouring adsorbed sites of a skin: the pair interaction energy."""

    doc_type: Literal["li_pair"] = Field("li_pair", description="Document family.")
    material: str = Field(description="Skin label.")
    miller: list[int] = Field(description="Facet.")
    site_label: str = Field(description="Site i: the strongest adsorbed site of the 5c flow.")
    site_kind: str = Field(description="Kind of sites i and j.")
    partner_position_a: list[float] = Field(description="Cartesian position of site j, Å.")
    start_pair_distance_a: float = Field(description="In-plane i-j distance at the start, Å.")
    final_pair_distance_a: float = Field(description="Li-Li distance after relaxation, Å.")
    supercell: list[int] = Field(description="Lateral repetition of the relaxed 1x1 slab.")
    termination: int | None = Field(
        None, description="Slab termination of the 5c flow the pair sits on (None: the only one)."
    )
    clean_energy_ev: float = Field(description="E(0), relaxed clean supercell, eV.")
    site_i_energy_ev: float = Field(description="E(i), one Li on i, relaxed, eV.")
    site_j_energy_ev: float = Field(description="E(j), one Li on j, relaxed, eV.")
    pair_energy_ev: float = Field(description="E(ij), Li on i and j, relaxed, eV.")
    pair_interaction_energy_ev: float = Field(
        description="E_int = E(ij) - E(i) - E(j) + E(0), eV per pair; negative = attraction."
    )
    converged: bool = Field(description="All four relaxations converged.")
    definition: str = Field(PAIR_INTERACTION_DEFINITION, description="Convention.")


@job(output_schema=LiPairDoc)
def li_pair_result(
    clean: Any, single_i: Any, single_j: Any, pair: Any, context: dict[str, Any]
) -> LiPairDoc:
    """Combine the four relaxations into E_int(ij) (:func:`pair_interaction_energy_ev`)."""
    docs = [as_calc_doc(d) for d in (clean, single_i, single_j, pair)]
    atoms = AseAtomsAdaptor.get_atoms(docs[3].structure)
    li = [a.index for a in atoms if a.symbol == "Li"][-2:]
    return LiPairDoc(
        **context,
        final_pair_distance_a=float(atoms.get_distance(li[0], li[1], mic=True)),
        clean_energy_ev=docs[0].energy_ev,
        site_i_energy_ev=docs[1].energy_ev,
        site_j_energy_ev=docs[2].energy_ev,
        pair_energy_ev=docs[3].energy_ev,
        pair_interaction_energy_ev=pair_interaction_energy_ev(
            docs[3].energy_ev, docs[1].energy_ev, docs[2].energy_ev, docs[0].energy_ev
        ),
        converged=all(d.converged for d in docs),
        calculator_name=docs[0].calculator_name,
        calculator_version=docs[0].calculator_version,
        calculator_model=docs[0].calculator_model,
    )


def _in_plane_distance_a(slab: Any, p: Any, q: Any) -> float:
    """Shortest in-plane distance between two positions under the slab's periodicity, Å."""
    cell = np.array(slab.cell)
    frac = np.linalg.solve(cell.T, np.asarray(q, float) - np.asarray(p, float))
    frac[:2] -= np.round(frac[:2])
    vec = cell.T @ frac
    return float(np.hypot(vec[0], vec[1]))


def _partner(sup: Any, sites: list[Any], site: Any) -> tuple[np.ndarray, float]:
    """Return site j (position) and its in-plane distance from ``site``: the nearest of its kind."""
    candidates = [np.asarray(p, float) for p in site.equivalent_positions[1:]]
    candidates += [
        np.asarray(s.position, float) for s in sites if s.kind == site.kind and s is not site
    ]
    scored = [
        (d, p)
        for p in candidates
        if (d := _in_plane_distance_a(sup, site.position, p)) >= MIN_PAIR_DISTANCE_A
    ]
    if not scored:
        msg = f"site {site.label}: no other {site.kind} site at >= {MIN_PAIR_DISTANCE_A} Å"
        raise ConfigurationError(msg)
    d, p = min(scored, key=lambda x: x[0])
    return p, d


def _structure(atoms: Any) -> Structure:
    st = AseAtomsAdaptor.get_structure(atoms)
    st.properties = {}
    return st


@job
def li_pair_jobs(
    maker: LiSiteBindingMaker,
    material: str,
    miller: list[int],
    relaxed_slab: Any,
    summary: dict[str, Any],
    reduce_by_environment: bool,
) -> Response:
    """Relax E(0), E(i), E(j), E(ij) on the 5c supercell; site i from the 5c ``summary``.

    Raises
    ------
    ConfigurationError
        If the strongest site is not adsorbed (no adsorbed site to pair) or has no partner.
    """
    if hasattr(summary, "model_dump"):  # the 5c output arrives as its LiSiteBindingDoc
        summary = summary.model_dump()
    if summary.get("lowest_outcome") not in (None, "adsorbed"):
        msg = f"{material}: no adsorbed Li site (every Li incorporated): no pair to compute"
        raise ConfigurationError(msg)
    slab = AseAtomsAdaptor.get_atoms(as_calc_doc(relaxed_slab).structure)
    n1, n2 = lateral_supercell_for_spacing(slab, min_image_distance_a=maker.min_li_distance_a)
    sup = slab.repeat((n1, n2, 1))
    sites = find_adsorption_sites(sup, reduce_by_environment=reduce_by_environment)
    site = next((s for s in sites if s.label == summary["lowest_site_label"]), None)
    if site is None:
        msg = f"{material}: site {summary['lowest_site_label']!r} not found on the supercell"
        raise ConfigurationError(msg)
    p_j, d_ij = _partner(sup, sites, site)
    starts = {
        "i": place_adsorbate(sup, site, symbol="Li"),
        "j": place_adsorbate(sup, p_j, symbol="Li"),
    }
    starts["ij"] = place_adsorbate(starts["i"], p_j, symbol="Li")
    label = f"{material} {''.join(map(str, miller))} pair {site.label}"
    relax = maker.li_relax_maker
    clean = make_calc_job(relax, _structure(sup), f"{label} clean")
    jobs = {k: make_calc_job(relax, _structure(a), f"{label} Li {k}") for k, a in starts.items()}
    for k, j in [("clean", clean), *jobs.items()]:
        j.append_name(f" {label} {k}")
    context = {
        "material": material,
        "miller": list(miller),
        "site_label": site.label,
        "site_kind": site.kind,
        "partner_position_a": [float(x) for x in p_j],
        "start_pair_distance_a": d_ij,
        "supercell": [n1, n2],
        "termination": summary.get("termination"),
    }
    result = li_pair_result(
        clean.output, jobs["i"].output, jobs["j"].output, jobs["ij"].output, context
    )
    result.append_name(f" {label}")
    return Response(replace=Flow([clean, *jobs.values(), result], output=result.output))


@job
def li_pair_on_5c_termination(
    maker: LiSiteBindingMaker,
    material: str,
    miller: list[int],
    bulk: Any,
    summary: Any,
    kind: str,
    reduce_by_environment: bool,
) -> Response:
    """Cut and relax the 5c slab of a multi-atom cell again, then :func:`li_pair_jobs` on it.

    The termination is the one the 5c ``summary`` was computed on (the lowest-γ one, chosen at
    run time); the cut (:func:`~lithiophilic.workflows.binding.jobs.cut_first_slab`) and the
    relaxation are the 5c flow's own, so the relaxed slab is reused from the database.

    Raises
    ------
    ConfigurationError
        If the summary names no termination.
    """
    from lithiophilic.analysis.surface import facet_label
    from lithiophilic.workflows.binding.jobs import cut_first_slab

    if hasattr(summary, "model_dump"):
        summary = summary.model_dump()
    termination = summary.get("termination")
    if termination is None:
        msg = f"{material}: the 5c summary names no slab termination: no pair to compute"
        raise ConfigurationError(msg)
    sm = maker.surface_maker
    label = f"{material} {facet_label(miller)}"
    cut = cut_first_slab(bulk, sm, list(miller), kind, int(termination))
    cut.append_name(f" {label} t{termination}")
    relax = make_calc_job(sm.slab_relax_maker, cut.output["structure"], f"{label} clean slab")
    relax.append_name(f" {label} clean t{termination}")
    pair = li_pair_jobs(maker, material, list(miller), relax.output, summary, reduce_by_environment)
    pair.append_name(f" {material}")
    return Response(replace=Flow([cut, relax, pair], output=pair.output))


@dataclass
class LiPairMaker(Maker):
    """Pair interaction of two Li on the strongest adsorbed site kind of a skin (clustering).

    The clean slab is the 5c flow's (``site_maker.clean_slab_jobs``, reused from the database);
    site i is the strongest adsorbed site of the 5c summary given to :meth:`make`.
    Multi-atom primitive cells (γ-brass, hcp, β-Sn), whose 5c slab is the lowest-γ termination
    chosen at run time: the slab of the termination the 5c summary names is cut and relaxed
    again at run time (:func:`li_pair_on_5c_termination`; the same jobs, reused).
    """

    name: str = "Li pair"
    site_maker: LiSiteBindingMaker = field(default_factory=LiSiteBindingMaker)

    def make(
        self, material: Any, miller: list[int], summary: Any, *, name: str | None = None
    ) -> Flow:
        """Build the flow of one skin and facet; ``summary`` is the 5c flow's output.

        Raises
        ------
        ConfigurationError
            For bad input (unknown material, Miller index, calculator without Li).
        """
        from lithiophilic.workflows.binding import substrate_bulk

        sm = self.site_maker.surface_maker
        complex_cell = substrate_bulk(material, sm, name=name)[2] == "complex"
        jobs, relax, _, kind = self.site_maker.clean_slab_jobs(
            material, miller, name=name, with_slab=not complex_cell
        )
        reduce = self.site_maker.reduce_by_environment
        reduce = kind == "sqs" if reduce is None else bool(reduce)
        label = name or str(material)
        if complex_cell:  # the 5c termination is known only at run time: read it from the summary
            pair = li_pair_on_5c_termination(
                self.site_maker, label, list(miller), jobs[0].output, summary, kind, reduce
            )
            pair.append_name(f" {label}")
            return Flow([*jobs, pair], output=pair.output, name=f"{self.name} {label}")
        pair = li_pair_jobs(self.site_maker, label, list(miller), relax.output, summary, reduce)
        pair.append_name(f" {label}")
        return Flow([*jobs, pair], output=pair.output, name=f"{self.name} {label}")
