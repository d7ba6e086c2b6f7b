"""Classical potentials usable as ASE calculators (EMT for fast, Cu-only plumbing tests).

References
----------
Jacobsen, Stoltze and Nørskov, Surf. Sci. 366, 394 (1996) (EMT).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lithiophilic.potentials.registry import CalculatorBackend, register_calculator

if TYPE_CHECKING:
    from ase.calculators.calculator import Calculator

#: Metals ASE's EMT is parametrised for (its H, C, N, O parameters are not physical).
EMT_ELEMENTS = frozenset({"Al", "Cu", "Ag", "Au", "Ni", "Pd", "Pt"})


def make_emt(**kwargs: Any) -> Calculator:
    """Return ASE's EMT calculator (fcc metals only; no Li, no Zn)."""
    from ase.calculators.emt import EMT

    return EMT(**kwargs)


register_calculator(
    CalculatorBackend(
        name="emt",
        factory=make_emt,
        package="ase",
        kind="classical",
        description="ASE EMT (Cu, Al, Ag, Au, Ni, Pd, Pt only: fast tests, no Li/Zn)",
        elements=EMT_ELEMENTS,
    )
)
