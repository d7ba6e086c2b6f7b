"""Li–skin compounds relaxed with one calculator (Li–skin alloying descriptor, issue 20).

Reads top to bottom: the document (:class:`LiCompoundDoc`), the ``@job`` that combines the
relaxations (:func:`li_compound_result`), the Maker (:class:`LiCompoundMaker`). A compound is
a catalogued prototype (:data:`lithiophilic.structures.li_compounds.LI_COMPOUNDS`: B32 LiAl and
LiZn, B2 LiAg, the B2 LiMg approximant) or a user's structure (CIF/POSCAR). Its formation
energy uses the references of the same calculator and relaxation Maker as every other flow
of the screen (bcc Li, each element's relaxed ground state: the same cached jobs):

    ΔE_f = E(Li_a X_b) − a ε_Li(bcc) − b ε_X,   per atom and per Li atom, eV; negative = Li
    alloys with X.

The convex hull over several compounds is analysis (:func:`lithiophilic.analysis.hull.li_alloy_hull`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from jobflow import Flow, Maker, job
from pydantic import ConfigDict, Field
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor

from lithiophilic.errors import ConfigurationError
from lithiophilic.potentials import CalculatorSpec
from lithiophilic.structures.li_compounds import LI_COMPOUNDS, make_li_compound
from lithiophilic.workflows.base import CalculatorProvenance
from lithiophilic.workflows.binding import li_bcc_structure
from lithiophilic.workflows.screen_incorporation import bulk_relax_maker, element_structure
from lithiophilic.workflows.task_docs import (
    as_calc_doc,
    check_maker_elements,
    make_calc_job,
    with_calculator_spec,
)

__all__ = [
    "COMPOUND_DEFINITION",
    "LiCompoundDoc",
    "LiCompoundMaker",
    "compound_structure",
    "li_compound_result",
]

COMPOUND_DEFINITION = (
    "dE_f = E(Li_a X_b) - a eps_Li(bcc) - b eps_X(X's relaxed elemental ground state), cell "
    "and positions relaxed with the calculator of the references; per atom and per Li atom, "
    "eV; negative = Li alloys with X."
)


class LiCompoundDoc(CalculatorProvenance):
    """One relaxed Li–X compound and its formation energy vs the elements."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    doc_type: Literal["li_compound"] = Field("li_compound", description="Document family.")
    name: str = Field(description="Compound label (catalogue name or the file's formula).")
    formula: str = Field(description="Reduced formula of the relaxed cell.")
    composition: dict[str, int] = Field(description="Atoms per element in the relaxed cell.")
    prototype: str = Field(description="B32, B2, ... or 'user' for a given structure.")
    reference: str = Field(description="Source of the starting structure.")
    approximant: bool = Field(False, description="Ordered model of a solid solution.")
    energy_ev: float = Field(description="E of the relaxed cell, eV.")
    energy_per_atom_ev: float = Field(description="E per atom, eV/atom.")
    element_energy_per_atom_ev: dict[str, float] = Field(
        description="Reference energies per atom (Li: bcc Li; X: its ground state), eV/atom."
    )
    formation_energy_per_atom_ev: float = Field(
        description="dE_f per atom, eV/atom; negative = stable against the elements."
    )
    formation_energy_per_li_ev: float = Field(description="dE_f per Li atom, eV/Li.")
    volume_per_atom_a3: float = Field(description="Relaxed volume per atom, Å³.")
    relaxed_structure: Structure = Field(description="Relaxed compound.")
    converged: bool = Field(description="Every relaxation converged.")
    definition: str = Field(COMPOUND_DEFINITION, description="Convention.")


@job(output_schema=LiCompoundDoc)
def li_compound_result(compound: Any, refs: dict[str, Any], info: dict[str, Any]) -> LiCompoundDoc:
    """Combine the compound and its elemental references into a LiCompoundDoc."""
    doc = as_calc_doc(compound)
    eps = {el: as_calc_doc(d).energy_per_atom_ev for el, d in refs.items()}
    counts: dict[str, int] = {}
    for site in doc.structure:
        counts[site.specie.symbol] = counts.get(site.specie.symbol, 0) + 1
    formation = doc.energy_ev - sum(n * eps[el] for el, n in counts.items())
    return LiCompoundDoc(
        **info,
        formula=doc.formula,
        composition=counts,
        energy_ev=doc.energy_ev,
        energy_per_atom_ev=doc.energy_per_atom_ev,
        element_energy_per_atom_ev=eps,
        formation_energy_per_atom_ev=formation / doc.n_atoms,
        formation_energy_per_li_ev=formation / counts["Li"],
        volume_per_atom_a3=doc.structure.volume / doc.n_atoms,
        relaxed_structure=doc.structure,
        converged=bool(doc.converged and all(as_calc_doc(d).converged for d in refs.values())),
        calculator_name=doc.calculator_name,
        calculator_version=doc.calculator_version,
        calculator_model=doc.calculator_model,
    )


def compound_structure(compound: str | Structure) -> tuple[Structure, dict[str, Any]]:
    """Return the starting structure of a compound and its document fields (name, prototype …).

    Raises
    ------
    ConfigurationError
        If a catalogue name is unknown or a given structure has no Li or nothing but Li.
    """
    if isinstance(compound, Structure):
        struct = compound.copy()
        info = {
            "name": str(struct.properties.get("name", struct.composition.reduced_formula)),
            "prototype": "user",
            "reference": str(struct.properties.get("source", "user-given structure")),
            "approximant": False,
        }
    else:
        atoms = make_li_compound(compound)
        struct = AseAtomsAdaptor.get_structure(atoms)
        spec = LI_COMPOUNDS[compound]
        info = {
            "name": spec.name,
            "prototype": spec.prototype,
            "reference": spec.reference,
            "approximant": spec.approximant,
        }
    struct.properties = {}
    elements = {el.symbol for el in struct.composition.elements}
    if "Li" not in elements or elements == {"Li"}:
        msg = f"li_compounds: {info['name']} must contain Li and at least one skin element"
        raise ConfigurationError(msg)
    return struct, info


@dataclass
class LiCompoundMaker(Maker):
    """Relax a Li–X compound and its elemental references; store a :class:`LiCompoundDoc`.

    Parameters
    ----------
    name
        Flow name.
    relax_maker
        Cell-and-positions relaxation (the surface study's bulk Maker, so bcc Li and the
        elements' ground states are the cached jobs of the other flows).
    """

    name: str = "Li compound"
    relax_maker: Maker = field(default_factory=lambda: bulk_relax_maker())

    def with_calculator(self, calculator: CalculatorSpec) -> LiCompoundMaker:
        """Return a copy whose relaxations use ``calculator``."""
        return replace(self, relax_maker=with_calculator_spec(self.relax_maker, calculator))

    def make(self, compound: str | Structure) -> Flow:
        """Build the flow of one compound (catalogue name or structure).

        Raises
        ------
        ConfigurationError
            For an unknown name, a structure without Li, or a calculator without its elements.
        """
        struct, info = compound_structure(compound)
        elements = sorted({el.symbol for el in struct.composition.elements})
        check_maker_elements(self.relax_maker, elements)
        main = make_calc_job(self.relax_maker, struct, f"{info['name']} (Li compound)")
        main.append_name(f" {info['name']}")
        refs = {}
        for element in elements:
            ref_struct = li_bcc_structure() if element == "Li" else element_structure(element)
            label = "Li reference bulk" if element == "Li" else f"{element} bulk"
            refs[element] = make_calc_job(self.relax_maker, ref_struct, label)
            refs[element].append_name(f" {element}")
        result = li_compound_result(main.output, {el: j.output for el, j in refs.items()}, info)
        result.append_name(f" {info['name']}")
        return Flow(
            [main, *refs.values(), result], output=result.output, name=f"{self.name} {info['name']}"
        )
