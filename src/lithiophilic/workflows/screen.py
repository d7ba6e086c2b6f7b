"""Jobs of the skin screen (issue 20) that no other study stores: a skin atom dissolved in Li.

Reads top to bottom: the result document (:class:`SkinDissolutionDoc`), the ``@job`` that
combines the relaxations (:func:`skin_dissolution_result`), the Maker
(:class:`SkinDissolutionMaker`). The relaxations are ordinary
:class:`~lithiophilic.workflows.base.AseRelaxMaker` jobs, so a bulk another study relaxed with
the same Maker and calculator (the skin element's ground state, e.g. fcc Cu of the surface
study) is reused from the database through its cache key.

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

from ase.build import bulk as ase_bulk
from jobflow import Flow, Maker, job
from pydantic import Field
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor

from lithiophilic import defaults
from lithiophilic.errors import ConfigurationError
from lithiophilic.potentials import CalculatorSpec
from lithiophilic.structures import make_bulk
from lithiophilic.workflows.base import AseRelaxMaker, CalculatorProvenance
from lithiophilic.workflows.task_docs import (
    as_calc_doc,
    check_maker_elements,
    make_calc_job,
    with_calculator_spec,
)

__all__ = [
    "DISSOLUTION_DEFINITION",
    "SkinDissolutionDoc",
    "SkinDissolutionMaker",
    "li_host_structure",
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
