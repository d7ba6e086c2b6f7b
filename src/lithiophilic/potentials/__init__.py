"""Calculator registry (MLIP, classical and DFT backends) and LAMMPS potentials."""

from __future__ import annotations

from lithiophilic.potentials import (  # noqa: F401  (register backends)
    classical,
    lammps,
    mlip,
)
from lithiophilic.potentials.dft import gpaw, vasp  # noqa: F401  (register DFT backends)
from lithiophilic.potentials.distill import shipped  # noqa: F401  (register shipped potentials)
from lithiophilic.potentials.registry import (
    DEFAULT_CALCULATOR,
    REGISTRY,
    CalculatorBackend,
    CalculatorSpec,
    as_spec,
    available_calculators,
    calculator_provenance,
    check_elements,
    ensure_available,
    get_calculator,
    register_calculator,
)

__all__ = [
    "DEFAULT_CALCULATOR",
    "REGISTRY",
    "CalculatorBackend",
    "CalculatorSpec",
    "as_spec",
    "available_calculators",
    "calculator_provenance",
    "check_elements",
    "ensure_available",
    "get_calculator",
    "register_calculator",
]
