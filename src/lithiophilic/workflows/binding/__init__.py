"""Li binding flows: one Li on every site of a facet (Fig. 5c) and Li layers on (111) (Fig. 5d/5e).

The package reads top to bottom: :mod:`.schemas` (result documents), :mod:`.jobs` (the ``@job``
steps) and :mod:`.flows` (the Makers). Every public name and every document class is
re-exported here, so documents and jobs stored under the module path
``lithiophilic.workflows.binding`` (before the package split) still load.
"""

from __future__ import annotations

from lithiophilic.workflows.binding.flows import (
    LOWEST_GAMMA,
    LiMultilayerMaker,
    LiSiteBindingMaker,
    SubstrateKind,
    has_fcc_111,
    is_fcc_substrate,
    refine_atom_settings,
    substrate_bulk,
    substrate_label,
)
from lithiophilic.workflows.binding.jobs import (
    ATOM_BOX_A,
    build_oriented_sqs,
    cut_first_slab,
    grow_layer_structure,
    li_atom_structure,
    li_bcc_structure,
    li_multilayer_result,
    li_reference,
    li_site_result,
    make_layer_jobs,
    make_site_jobs,
    refine_li_sites,
    remove_adsorbate,
    summarize_li_sites,
    summarize_prescreen,
)
from lithiophilic.workflows.binding.schemas import (
    LI_LAYER_GROWTH,
    SITE_ROW_KEYS,
    LiMultilayerDoc,
    LiPrescreenDoc,
    LiReferenceDoc,
    LiSiteBindingDoc,
    LiSiteDoc,
)
from lithiophilic.workflows.binding.terminations import lowest_gamma_picks, sites_on_lowest_gamma

__all__ = [
    "ATOM_BOX_A",
    "LI_LAYER_GROWTH",
    "LOWEST_GAMMA",
    "SITE_ROW_KEYS",
    "LiMultilayerDoc",
    "LiMultilayerMaker",
    "LiPrescreenDoc",
    "LiReferenceDoc",
    "LiSiteBindingDoc",
    "LiSiteBindingMaker",
    "LiSiteDoc",
    "SubstrateKind",
    "build_oriented_sqs",
    "cut_first_slab",
    "grow_layer_structure",
    "has_fcc_111",
    "is_fcc_substrate",
    "li_atom_structure",
    "li_bcc_structure",
    "li_multilayer_result",
    "li_reference",
    "li_site_result",
    "lowest_gamma_picks",
    "make_layer_jobs",
    "make_site_jobs",
    "refine_atom_settings",
    "refine_li_sites",
    "remove_adsorbate",
    "sites_on_lowest_gamma",
    "substrate_bulk",
    "substrate_label",
    "summarize_li_sites",
    "summarize_prescreen",
]
