"""Result documents of the Li binding flows (Fig. 5c single Li, Fig. 5d/5e Li layers).

Every document carries the calculator provenance (:class:`CalculatorProvenance`) and the
conventions of its numbers (:data:`~lithiophilic.analysis.binding.BINDING_DEFINITION`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field
from pymatgen.core import Structure

from lithiophilic.analysis.binding import BINDING_DEFINITION
from lithiophilic.workflows.base import CalculatorProvenance

__all__ = [
    "LI_LAYER_GROWTH",
    "SITE_ROW_KEYS",
    "LiMultilayerDoc",
    "LiPrescreenDoc",
    "LiReferenceDoc",
    "LiSiteBindingDoc",
    "LiSiteDoc",
]

#: How the n-layer films start their relaxation (see
#: :class:`~lithiophilic.workflows.binding.flows.LiMultilayerMaker`).
LI_LAYER_GROWTH: tuple[str, ...] = ("independent", "sequential")


class LiReferenceDoc(CalculatorProvenance):
    """Li chemical-potential references: bcc Li metal and the isolated atom."""

    doc_type: Literal["li_reference"] = Field("li_reference", description="Document family.")
    bcc_energy_per_atom_ev: float = Field(description="Energy per atom of relaxed bcc Li, eV.")
    bcc_lattice_a_a: float = Field(description="Relaxed bcc Li lattice constant, Å.")
    atom_energy_ev: float = Field(description="Energy of one Li atom in a box, eV.")
    atom_spin_polarized: bool = Field(description="Whether the atom was computed spin-polarised.")
    atom_reference_reliable: bool = Field(
        description="False for ML potentials: an isolated atom lies outside their training data."
    )
    cohesive_energy_ev: float = Field(description="E_atom - eps_bcc (positive), eV/atom.")


class LiSiteDoc(CalculatorProvenance):
    """One relaxed Li atom on one site."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    doc_type: Literal["li_site"] = Field("li_site", description="Document family.")
    material: str = Field(description="Material name.")
    miller: list[int] = Field(description="Facet, Miller index of the conventional cell.")
    site_label: str = Field(description="Initial site label (e.g. fcc-0).")
    site_kind: str = Field(description="Initial site kind (ontop, bridge, fcc, hcp, hollow4, ...).")
    site_neighbors: list[str] = Field(description="Surface atoms defining the initial site.")
    final_site_label: str = Field(description="Site the relaxed Li sits over.")
    final_site_kind: str = Field(description="Kind of that site.")
    moved: bool = Field(description="The Li relaxed to another site.")
    subsurface: bool = Field(description="The Li went below the top layer (result not used).")
    height_above_surface_a: float = Field(description="Relaxed Li height above the top layer, Å.")
    energy_ev: float = Field(description="E(slab+Li), relaxed, eV.")
    slab_energy_ev: float = Field(description="E(slab), same supercell, eV.")
    adsorption_energy_bcc_ev: float = Field(
        description="E(slab+Li) - E(slab) - eps_Li(bcc), eV; negative = favourable."
    )
    adsorption_energy_atom_ev: float = Field(description="E(slab+Li) - E(slab) - E(Li atom), eV.")
    binding_energy_bcc_ev: float = Field(description="-adsorption_energy_bcc_ev (paper's E_b), eV.")
    binding_energy_atom_ev: float = Field(description="-adsorption_energy_atom_ev, eV.")
    supercell: list[int] = Field(description="Lateral repetition of the relaxed 1x1 slab.")
    li_image_distance_a: float = Field(
        description="Shortest in-plane distance between Li images, Å."
    )
    converged: bool = Field(description="The slab+Li relaxation converged.")
    relaxed_structure: Structure = Field(description="Relaxed slab+Li.")
    dir_name: str = Field(description="Directory of the relaxation.")
    # where the Li ended up in 3D (analysis.li_outcome); None: stored before these existed
    outcome: str | None = Field(
        None,
        description="adsorbed, incorporated or reconstructed (analysis.li_outcome); None: "
        "document older than the outcome classes.",
    )
    outcome_detail: str | None = Field(
        None,
        description="on-site, moved (adsorbed); subsurface, over-coordinated (incorporated); "
        "substrate-rearranged (reconstructed).",
    )
    coordination_number: int | None = Field(
        None, description="Substrate atoms within radius_factor × (r_Li + r_X) of the Li."
    )
    neighbor_distance_ratios: list[float] | None = Field(
        None,
        description="Li–substrate distances / (r_Li + r_X) (ASE covalent radii), ascending, "
        "up to 1.5 (re-classify at any radius factor).",
    )
    neighbor_symbols: list[str] | None = Field(
        None, description="Elements of those neighbours, same order."
    )
    local_height_a: float | None = Field(
        None,
        description="Li height above the highest substrate atom within local_radius_a "
        "laterally, Å.",
    )
    substrate_energy_ev: float | None = Field(
        None, description="E(slab re-relaxed from the relaxed geometry with the Li removed), eV."
    )
    substrate_reference_energy_ev: float | None = Field(
        None,
        description="E(clean supercell relaxed like the substrate test, same fmax), eV.",
    )
    substrate_change_ev: float | None = Field(
        None,
        description="substrate_energy_ev - substrate_reference_energy_ev, eV; < -reconstruction "
        "threshold: the site reconstructed the surface. None: not computed.",
    )
    substrate_converged: bool | None = Field(
        None, description="The substrate re-relaxation converged."
    )
    outcome_settings: dict[str, Any] | None = Field(
        None, description="Thresholds of the classifier (OutcomeSettings) and local_radius_a."
    )
    start_displacement_a: list[float] | None = Field(
        None,
        description="Seeded lateral displacement of the Li start from the site, Å "
        "(symmetry breaking; None: started exactly on the site).",
    )
    start_displacement_seed: int | None = Field(
        None, description="Seed of that displacement (from material, facet, termination, site)."
    )
    termination: int | None = Field(None, description="Slab termination index.")
    sqs_seed: int | None = Field(None, description="SQS sample seed (random alloys).")


class LiSiteBindingDoc(CalculatorProvenance):
    """All sites of one slab: the strongest binding is the answer, the spread is information."""

    doc_type: Literal["li_binding"] = Field("li_binding", description="Document family.")
    material: str = Field(description="Material name.")
    miller: list[int] = Field(description="Facet.")
    n_sites: int = Field(description="Sites relaxed.")
    n_valid: int = Field(description="Sites used: converged and Li not subsurface.")
    lowest_site_label: str = Field(description="Initial label of the lowest-energy valid site.")
    lowest_final_site_kind: str = Field(description="Kind of site the lowest-energy Li sits over.")
    binding_energy_bcc_ev: float = Field(description="Strongest E_b vs bcc Li, eV.")
    binding_energy_atom_ev: float = Field(description="Strongest E_b vs the isolated atom, eV.")
    adsorption_energy_bcc_ev: float = Field(description="Lowest E_ads vs bcc Li, eV.")
    adsorption_energy_atom_ev: float = Field(description="Lowest E_ads vs the atom, eV.")
    spread_ev: float = Field(description="max - min of E_b over valid sites, eV.")
    cohesive_energy_ev: float = Field(
        description="Li cohesive energy of this calculator, eV (difference of the two references)."
    )
    atom_reference_reliable: bool = Field(description="See LiReferenceDoc.")
    rows: list[dict[str, Any]] = Field(description="Per-site numbers.")
    definition: str = Field(BINDING_DEFINITION, description="Conventions.")
    lowest_outcome: str | None = Field(
        None,
        description="Outcome of the strongest site: 'adsorbed' unless no site stayed adsorbed "
        "(None: document older than the outcome classes, valid = not subsurface).",
    )
    n_by_outcome: dict[str, int] | None = Field(
        None, description="Converged sites per outcome class."
    )
    strongest_incorporated: dict[str, Any] | None = Field(
        None,
        description="Strongest incorporated or reconstructed site (site_label, outcome, "
        "binding_energy_bcc_ev, eV), None if there is none.",
    )
    outcome_settings: dict[str, Any] | None = Field(
        None, description="Classifier thresholds used for outcome and the strongest site."
    )
    termination: int | None = Field(None, description="Slab termination index.")
    termination_choice: str | None = Field(
        None,
        description="Why this termination: e.g. 'lowest gamma at the Cu-rich edge' or 'fixed'.",
    )
    sqs_seed: int | None = Field(None, description="SQS sample seed (random alloys).")


class LiPrescreenDoc(CalculatorProvenance):
    """MLIP prescreen + refinement of the best sites (provenance fields: the refining calculator)."""

    doc_type: Literal["li_prescreen"] = Field("li_prescreen", description="Document family.")
    material: str = Field(description="Material name.")
    miller: list[int] = Field(description="Facet.")
    screen_calculator_name: str = Field(description="Calculator that ranked the sites.")
    screen_calculator_model: str | None = Field(description="Its model.")
    top_k: int = Field(description="Best-screened sites requested for refinement.")
    refine_all: bool = Field(description="Every valid screened site was refined (verification).")
    n_screened: int = Field(description="Valid screened sites.")
    refined_sites: list[str] = Field(description="Site labels refined.")
    screened_order: list[str] = Field(description="Valid sites, strongest screened E_b first.")
    top_k_labels: list[str] = Field(description="The top_k best-screened sites.")
    refined_lowest_label: str = Field(description="Strongest site after refinement.")
    refined_lowest_final_site_kind: str = Field(description="Where Li sits in that site.")
    binding_energy_bcc_ev: float = Field(description="Refined strongest E_b vs bcc Li, eV.")
    binding_energy_atom_ev: float = Field(description="Refined strongest E_b vs the atom, eV.")
    refined_lowest_is_screen_lowest: bool = Field(
        description="The refined strongest site is the screen's strongest."
    )
    refined_lowest_in_top_k: bool | None = Field(
        description="The refined strongest site was among the top_k (None: unknown, not all sites refined)."
    )
    spearman_rho: float | None = Field(description="Rank correlation of E_b over refined sites.")
    max_abs_diff_ev: float = Field(description="Largest |E_b(refined) - E_b(screen)|, eV.")
    rows: list[dict[str, Any]] = Field(description="Per refined site: screen and refined numbers.")
    definition: str = Field(BINDING_DEFINITION, description="Conventions.")


#: Per-site numbers kept in :attr:`LiSiteBindingDoc.rows`.
SITE_ROW_KEYS = (
    "site_label",
    "site_kind",
    "final_site_kind",
    "moved",
    "subsurface",
    "converged",
    "energy_ev",
    "binding_energy_bcc_ev",
    "binding_energy_atom_ev",
    "height_above_surface_a",
    "outcome",
    "outcome_detail",
    "coordination_number",
    "neighbor_distance_ratios",
    "local_height_a",
    "substrate_change_ev",
    "start_displacement_a",
)


class LiMultilayerDoc(CalculatorProvenance):
    """n = 1…N Li layers on a (111) slab (Fig. 5d, 5e)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    doc_type: Literal["li_multilayer"] = Field("li_multilayer", description="Document family.")
    material: str = Field(description="Material name.")
    miller: list[int] = Field(description="Facet.")
    construction: str = Field(
        description="How the ideal Li layers were built (see structures.li_layers)."
    )
    growth: str = Field(
        "independent",
        description="'independent': every n relaxed from ideal layers on the clean slab; "
        "'sequential': layer n added on the relaxed (n-1)-layer film.",
    )
    li_per_layer: int = Field(description="Li atoms per layer (N_layer).")
    lattice_mismatch: float = Field(
        description="(d_substrate - d_Li,bcc)/d_Li,bcc of the imposed in-plane Li-Li distance."
    )
    li_layer_strain: dict[str, Any] | None = Field(
        None,
        description="bcc110: principal and areal strain of the Li layer vs bcc Li(110) "
        "(fractions), the max_strain allowed and the substrate supercell matrix.",
    )
    n_layers: list[int] = Field(description="Layer counts n = 0…N.")
    energies_ev: list[float] = Field(
        description="E(n), relaxed, eV (n = 0 is the bare slab in the same cell)."
    )
    incremental_binding_energy_ev: list[float] = Field(
        description="E_b(n) = -[E(n) - E(n-1) - N_layer eps_Li(bcc)]/N_layer, eV/Li, n = 1…N."
    )
    average_binding_energy_ev: list[float] = Field(
        description="E_b,avg(n) = -[E(n) - E(0) - n N_layer eps_Li(bcc)]/(n N_layer), eV/Li."
    )
    distortion: list[dict[str, Any]] = Field(
        description="Per n: displacement of the relaxed Li from the ideal sites (Å)."
    )
    converged: list[bool] = Field(description="Per n: relaxation converged.")
    relaxed_structures: list[Structure] = Field(description="Relaxed slab + n Li layers, n = 0…N.")
    bcc_energy_per_atom_ev: float = Field(description="eps_Li(bcc), eV/atom.")
    definition: str = Field(BINDING_DEFINITION, description="Conventions.")
