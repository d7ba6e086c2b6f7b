"""Structure builders: bulk crystals, SQS solid solutions and slabs (pure functions, ASE Atoms)."""

from __future__ import annotations

from lithiophilic.structures._common import min_distance_a, to_builtin
from lithiophilic.structures._sqs_cache import SQS_CACHE_ENV
from lithiophilic.structures.bulk import (
    get_primitive,
    make_fcc,
    make_gamma_brass,
    primitive_gamma_brass,
    symmetry_report,
    validate_gamma_brass,
)
from lithiophilic.structures.materials import MATERIALS, make_bulk, parse_composition
from lithiophilic.structures.oriented_sqs import make_oriented_sqs
from lithiophilic.structures.slabs import (
    is_symmetric_slab,
    layer_indices,
    make_slab_from_oriented_bulk,
    make_slabs,
    surface_area_a2,
)
from lithiophilic.structures.sqs import (
    default_cutoffs_a,
    make_sqs,
    sqs_correlation_report,
)

__all__ = [
    "MATERIALS",
    "SQS_CACHE_ENV",
    "default_cutoffs_a",
    "get_primitive",
    "is_symmetric_slab",
    "layer_indices",
    "make_bulk",
    "make_fcc",
    "make_gamma_brass",
    "make_oriented_sqs",
    "make_slab_from_oriented_bulk",
    "make_slabs",
    "make_sqs",
    "min_distance_a",
    "parse_composition",
    "primitive_gamma_brass",
    "sqs_correlation_report",
    "surface_area_a2",
    "symmetry_report",
    "to_builtin",
    "validate_gamma_brass",
]
