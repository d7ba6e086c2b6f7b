"""Flow Makers of the Li binding family: one Li on every site (Fig. 5c), Li layers (Fig. 5d/5e).

:class:`LiSiteBindingMaker` cuts and relaxes the clean slab with exactly the settings of
:class:`~lithiophilic.workflows.surface.SurfaceEnergyMaker`, so a slab already relaxed by the
surface-energy flow is reused from the database, not recomputed; :class:`LiMultilayerMaker`
builds on the same clean slab and Li references.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from jobflow import Flow, Maker
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from lithiophilic import defaults
from lithiophilic.analysis.li_outcome import OutcomeSettings
from lithiophilic.analysis.surface import facet_label
from lithiophilic.errors import ConfigurationError
from lithiophilic.potentials import CalculatorSpec, check_elements
from lithiophilic.structures import get_primitive, make_bulk
from lithiophilic.structures.li_layers import DEFAULT_MAX_STRAIN
from lithiophilic.structures.sites import DEFAULT_START_DISPLACEMENT_A
from lithiophilic.workflows.base import AseRelaxMaker, AseStaticMaker
from lithiophilic.workflows.binding.jobs import (
    build_oriented_sqs,
    cut_first_slab,
    li_atom_structure,
    li_bcc_structure,
    li_reference,
    make_layer_jobs,
    make_site_jobs,
)
from lithiophilic.workflows.binding.schemas import LI_LAYER_GROWTH
from lithiophilic.workflows.surface import SurfaceEnergyMaker, cut_slab
from lithiophilic.workflows.task_docs import (
    calculator_kind,
    check_maker_elements,
    check_slab_relax_maker,
    describe_maker,
    is_lithiophilic_maker,
    make_calc_job,
    same_calculator,
    with_calculator_spec,
)

if TYPE_CHECKING:
    from ase import Atoms

__all__ = [
    "LOWEST_GAMMA",
    "LiMultilayerMaker",
    "LiSiteBindingMaker",
    "SubstrateKind",
    "has_fcc_111",
    "is_fcc_substrate",
    "refine_atom_settings",
    "substrate_bulk",
    "substrate_label",
]

logger = logging.getLogger(__name__)

#: How a substrate's slab is cut: ``simple`` (one atom per primitive cell), ``complex``
#: (several, e.g. γ-brass) or ``sqs`` (a random alloy, oriented SQS cells on an fcc lattice).
SubstrateKind = Literal["simple", "complex", "sqs"]

#: Space group number of the fcc lattice (Fm-3m).
_FCC_SPACE_GROUP = 225
#: Force threshold of the substrate test (see :class:`LiSiteBindingMaker`), eV/Å.
SUBSTRATE_FMAX_EV_PER_A = 0.02
#: ``termination`` value that binds Li on the lowest-γ termination(s) (complex structures).
LOWEST_GAMMA = "lowest_gamma"


def substrate_label(material: str | Structure, name: str | None = None) -> str:
    """Return the label results are stored under: ``name``, the material name or the formula."""
    if name:
        return name
    if isinstance(material, Structure):
        return material.composition.reduced_formula
    return material


def substrate_bulk(
    material: str | Structure,
    surface_maker: SurfaceEnergyMaker | None = None,
    *,
    name: str | None = None,
) -> tuple[Atoms, str, SubstrateKind]:
    """Return the bulk a binding flow starts from, its label and its kind.

    A named material is built from the catalogue exactly as
    :meth:`SurfaceEnergyMaker.make <lithiophilic.workflows.surface.SurfaceEnergyMaker.make>`
    builds it (random alloys: an SQS of ``surface_maker.sqs_n_atoms`` atoms, seed
    ``surface_maker.sqs_seed``); a ``Structure`` is used as given (never an SQS).

    Raises
    ------
    ConfigurationError
        For an unknown material or composition.
    """
    sm = surface_maker or SurfaceEnergyMaker()
    label = substrate_label(material, name)
    if isinstance(material, Structure):
        atoms = AseAtomsAdaptor.get_atoms(material)
        return atoms, label, "simple" if len(get_primitive(atoms)) == 1 else "complex"
    atoms = make_bulk(material, seed=sm.sqs_seed)
    if "sqs" in atoms.info and len(atoms) != sm.sqs_n_atoms:
        atoms = make_bulk(material, seed=sm.sqs_seed, n_atoms=sm.sqs_n_atoms)
    if "sqs" in atoms.info:
        return atoms, label, "sqs"
    return atoms, label, "simple" if len(get_primitive(atoms)) == 1 else "complex"


def is_fcc_substrate(atoms: Atoms, kind: SubstrateKind) -> bool:
    """Return whether a substrate bulk is an fcc lattice, so that its (111) face is fcc(111).

    Random alloys (``sqs``) are built on an fcc lattice; structures with several atoms per
    primitive cell (``complex``, e.g. γ-brass) are not one; a one-atom lattice is fcc when
    its space group is Fm-3m (225).
    """
    if kind == "sqs":
        return True
    if kind == "complex":
        return False
    struct = AseAtomsAdaptor.get_structure(atoms)
    struct.properties = {}
    return SpacegroupAnalyzer(struct).get_space_group_number() == _FCC_SPACE_GROUP


def has_fcc_111(
    material: str | Structure,
    *,
    surface_maker: SurfaceEnergyMaker | None = None,
    name: str | None = None,
) -> bool:
    """Return whether ``material``'s (111) face is fcc(111), as the pseudomorphic Li film needs.

    The bulk is the one the binding flows build (:func:`substrate_bulk`).

    Raises
    ------
    ConfigurationError
        For an unknown material or composition.
    """
    atoms, _, kind = substrate_bulk(material, surface_maker, name=name)
    return is_fcc_substrate(atoms, kind)


def refine_atom_settings(calculator: CalculatorSpec | None) -> dict[str, Any]:
    """Return the :class:`LiSiteBindingMaker` fields that spin-polarise the refined Li atom.

    Only a DFT refining calculator gets them (``spinpol=True``, a setting of both GPAW and
    VASP; VASP writes it as ISPIN 2); MLIPs have no spin, so ``{}``.
    """
    if calculator is None or calculator.backend.kind != "dft":
        return {}
    if calculator.name not in ("gpaw", "vasp"):
        return {}
    return {"refine_atom_kwargs": {"spinpol": True}, "refine_spin_polarized": True}


def _check_refinable(maker: LiSiteBindingMaker) -> None:
    """Raise if prescreen refinement would swap the calculator of a slot that is not ours."""
    slots = {
        "li_relax_maker": maker.li_relax_maker,
        "atom_static_maker": maker.atom_static_maker,
        "surface_maker.bulk_relax_maker": maker.surface_maker.bulk_relax_maker,
    }
    foreign = [k for k, mk in slots.items() if not is_lithiophilic_maker(mk)]
    if foreign:
        msg = (
            f"refine_calculator: refinement swaps the calculator of {', '.join(foreign)}, "
            "which hold Makers that are not lithiophilic's (e.g. atomate2's); use "
            "AseRelaxMaker/AseStaticMaker there or refine_calculator=None"
        )
        raise ConfigurationError(msg)


@dataclass
class LiSiteBindingMaker(Maker):
    """Binding energy of a single Li atom on every site of one facet (Fig. 5c).

    Steps:

    1. relax the bulk, bcc Li and an isolated Li atom (the two Li references);
    2. cut and relax the clean slab exactly as :class:`SurfaceEnergyMaker` does (reused from
       the database when the surface-energy flow already relaxed it);
    3. repeat the relaxed slab laterally until Li images are ``min_li_distance_a`` apart and
       compute the clean supercell;
    4. place Li on every symmetry-distinct (and, on alloys, chemically distinct) site and relax;
    5. per site :class:`LiSiteDoc` (E_ads and E_b vs bcc Li and vs the atom, where the Li ended
       up), and :class:`LiSiteBindingDoc` (strongest valid site, spread), the flow's output.

    Parameters
    ----------
    name
        Flow name.
    surface_maker
        Supplies the bulk/slab Makers and the slab settings (thickness, vacuum, fixed planes).
    li_relax_maker
        Relaxes slab+Li (must keep the cell). This, ``slab_static_maker`` and
        ``atom_static_maker`` take our Makers or any Maker with atomate2's contract
        ``make(structure, prev_dir=None)`` (read with
        :func:`~lithiophilic.workflows.task_docs.as_calc_doc`); prescreen refinement
        (``refine_calculator``) needs ours.
    slab_static_maker
        Energy of the clean supercell.
    atom_static_maker
        Energy of the isolated Li atom (spin-polarised settings go in its calculator kwargs).
    min_li_distance_a
        Smallest distance between periodic Li images, Å.
    termination
        Termination index of the slab (complex structures have several), or
        ``"lowest_gamma"``: the termination of lowest γ at the Δμ-min (Cu-rich) edge of the
        window, from the surface-energy flow of that facet (run inside this flow, its slabs
        reused from the database), plus the one lowest at the other edge if it differs
        (:mod:`~lithiophilic.workflows.binding.terminations`). Simple lattices and random
        alloys have one termination.
    sqs_sample
        Random alloys: the SQS sample k (seed ``surface_maker.sqs_seed + k``, the surface
        study's sample k).
    start_displacement_a
        Lateral displacement of each Li start from its site in a seeded direction, Å (0–0.2;
        0: exactly on the site). Breaks the symmetry of a start on a saddle so that the same
        inputs relax to the same site in every run.
    check_substrate
        Re-relax the slab from each relaxed slab+Li with the Li removed; a result below the
        clean slab by more than ``outcome_settings["reconstruction_threshold_ev"]`` means the
        site reconstructed the surface.
    substrate_fmax_ev_per_a
        Force threshold of the substrate test's relaxations (the slab left by each Li and the
        clean supercell, both relaxed to it), eV/Å.
    outcome_settings
        Thresholds of the outcome classifier
        (:class:`~lithiophilic.analysis.li_outcome.OutcomeSettings`).
    reduce_by_environment
        Merge sites with the same chemical environment (used on random alloys, where the
        cell has no symmetry); ``None``: only for random alloys.
    max_sites
        Relax at most this many sites, taken round-robin over site kinds (``None``: all; a
        cap may miss the strongest site, and the summary counts the sites relaxed).
    spin_polarized
        Whether the atom calculation is spin-polarised (recorded; MLIPs have no spin).
    refine_calculator
        Prescreen mode: rank the sites with this Maker's calculator (an MLIP), then relax the
        ``refine_top_k`` strongest with ``refine_calculator`` (a DFT code), its own Li
        references and clean supercell included; a :class:`LiPrescreenDoc` records whether
        the ranking held.  ``None``: no refinement.
    refine_top_k
        Sites refined.
    refine_all
        Refine every valid site (verification: only then is it known whether the refined
        strongest site was among the top k).
    refine_atom_kwargs
        Extra calculator settings for the refined isolated-atom reference (e.g. spin
        polarisation for a DFT code).
    refine_spin_polarized
        Whether those settings make the refined atom spin-polarised (recorded).
    """

    name: str = "Li site binding"
    surface_maker: SurfaceEnergyMaker = field(default_factory=SurfaceEnergyMaker)
    li_relax_maker: Maker = field(
        default_factory=lambda: AseRelaxMaker(
            name="Li relax",
            fmax_ev_per_a=defaults.SLAB_FMAX_EV_PER_A,
            max_steps=defaults.SLAB_MAX_STEPS,
            allow_unconverged=True,
        )
    )
    slab_static_maker: Maker = field(default_factory=lambda: AseStaticMaker(name="clean supercell"))
    atom_static_maker: Maker = field(default_factory=lambda: AseStaticMaker(name="Li atom"))
    min_li_distance_a: float = 7.0
    termination: int | str = 0
    sqs_sample: int = 0
    start_displacement_a: float = DEFAULT_START_DISPLACEMENT_A
    check_substrate: bool = True
    substrate_fmax_ev_per_a: float = SUBSTRATE_FMAX_EV_PER_A
    outcome_settings: dict[str, Any] = field(default_factory=lambda: OutcomeSettings().as_dict())
    reduce_by_environment: bool | None = None
    max_sites: int | None = None
    spin_polarized: bool = False
    refine_calculator: CalculatorSpec | None = None
    refine_top_k: int = 3
    refine_all: bool = False
    refine_atom_kwargs: dict[str, Any] = field(default_factory=dict)
    refine_spin_polarized: bool = False

    def __post_init__(self) -> None:
        check_slab_relax_maker(self.li_relax_maker, "li_relax_maker")
        if self.refine_top_k < 1:
            msg = f"refine_top_k must be >= 1, got {self.refine_top_k}"
            raise ConfigurationError(msg)
        if self.min_li_distance_a < 5.0:
            msg = f"min_li_distance_a: {self.min_li_distance_a} Å lets Li images interact; use >= 5 Å (7 Å recommended)"
            raise ConfigurationError(msg)
        if self.max_sites is not None and self.max_sites < 1:
            msg = f"max_sites must be >= 1 or None, got {self.max_sites}"
            raise ConfigurationError(msg)
        if self.termination != LOWEST_GAMMA and not (
            isinstance(self.termination, int) and self.termination >= 0
        ):
            msg = f"termination: {self.termination!r}; use an index >= 0 or {LOWEST_GAMMA!r}"
            raise ConfigurationError(msg)
        if self.sqs_sample < 0:
            msg = f"sqs_sample: {self.sqs_sample}; use a sample index >= 0"
            raise ConfigurationError(msg)
        if not (math.isfinite(self.start_displacement_a) and 0 <= self.start_displacement_a <= 0.2):
            msg = f"start_displacement_a: {self.start_displacement_a!r} Å is outside the allowed range 0–0.2"
            raise ConfigurationError(msg)
        if not (
            math.isfinite(self.substrate_fmax_ev_per_a)
            and 0.001 <= self.substrate_fmax_ev_per_a <= 0.5
        ):
            msg = f"substrate_fmax_ev_per_a: {self.substrate_fmax_ev_per_a!r} eV/Å is outside the allowed range 0.001–0.5"
            raise ConfigurationError(msg)
        try:
            OutcomeSettings(**self.outcome_settings)
        except TypeError as exc:
            msg = f"outcome_settings: {exc}; allowed keys {sorted(OutcomeSettings().as_dict())}"
            raise ConfigurationError(msg) from None

    def with_refine_calculator(
        self, calculator: CalculatorSpec | None, *, top_k: int = 3, refine_all: bool = False
    ) -> LiSiteBindingMaker:
        """Return a copy in prescreen mode: the ``top_k`` best sites refined with ``calculator``.

        The refined isolated Li atom is spin-polarised when ``calculator`` is a DFT code
        (:func:`refine_atom_settings`). ``calculator=None``: no refinement.
        """
        return replace(
            self,
            refine_calculator=calculator,
            refine_top_k=top_k,
            refine_all=refine_all,
            **refine_atom_settings(calculator),
        )

    def with_calculator(self, calculator: CalculatorSpec) -> LiSiteBindingMaker:
        """Return a copy whose every sub-Maker uses ``calculator``."""
        return replace(
            self,
            surface_maker=self.surface_maker.with_calculator(calculator),
            li_relax_maker=with_calculator_spec(self.li_relax_maker, calculator),
            slab_static_maker=with_calculator_spec(self.slab_static_maker, calculator),
            atom_static_maker=with_calculator_spec(self.atom_static_maker, calculator),
        )

    def clean_slab_jobs(
        self,
        material: str | Structure,
        miller: list[int] | tuple[int, int, int],
        *,
        name: str | None = None,
        with_slab: bool = True,
    ) -> tuple[list[Any], Any, Any, str]:
        """Return the jobs shared by the Li flows, the clean-slab relax job, the Li reference job and the material kind.

        ``with_slab=False``: only the bulk (first job) and the Li references; the relax job is
        ``None`` (the lowest-γ termination is cut later).

        Parameters
        ----------
        material
            A catalogue name or formula, or a bulk ``Structure``.
        miller
            Facet, Miller index of the conventional cell.
        name
            Label of the results (``None``: the name, or the structure's reduced formula).

        Raises
        ------
        ConfigurationError
            For an unknown material, a bad Miller index, or a calculator without Li.
        """
        sm = self.surface_maker
        miller = [int(i) for i in miller]
        if len(miller) != 3 or not any(miller):
            msg = f"miller: {miller} is not a valid Miller index"
            raise ConfigurationError(msg)
        atoms, material, kind = substrate_bulk(material, sm, name=name)
        elements = sorted({*atoms.get_chemical_symbols(), "Li"})
        for mk in (
            sm.bulk_relax_maker,
            sm.slab_relax_maker,
            self.li_relax_maker,
            self.atom_static_maker,
        ):
            check_maker_elements(mk, elements)
        if self.refine_calculator is not None:
            check_elements(self.refine_calculator, elements)
            _check_refinable(self)
        composition = {
            el: atoms.get_chemical_symbols().count(el) / len(atoms)
            for el in sorted(set(atoms.get_chemical_symbols()))
        }
        label = f"{material} {facet_label(miller)}"
        struct = AseAtomsAdaptor.get_structure(atoms)
        struct.properties = {}
        bulk = make_calc_job(sm.bulk_relax_maker, struct, f"{material} bulk")
        bulk.append_name(f" {material}")
        bcc = make_calc_job(sm.bulk_relax_maker, li_bcc_structure(), "Li reference bulk")
        bcc.append_name(" Li (reference)")
        atom = make_calc_job(self.atom_static_maker, li_atom_structure(), "Li atom")
        atom.append_name(" (reference)")
        ref = li_reference(
            bcc.output,
            atom.output,
            self.spin_polarized,
            calculator_kind(self.atom_static_maker),
        )
        jobs: list[Any] = [bulk, bcc, atom, ref]
        if not with_slab:
            return jobs, None, ref, kind
        if kind == "sqs":
            seed = sm.sqs_seed + self.sqs_sample
            cell = build_oriented_sqs(bulk.output, sm, composition, miller, seed)
            rc = make_calc_job(sm.bulk_relax_maker, cell.output, f"{label} SQS s{seed} cell")
            rc.append_name(f" {label} SQS cell")
            cut = cut_slab(rc.output, sm.vacuum_a, sm.n_fixed_layers, sm.fix, seed)
            jobs += [cell, rc, cut]
            slab_structure = cut.output["structure"]
        else:
            term = 0 if self.termination == LOWEST_GAMMA else int(self.termination)
            cut = cut_first_slab(bulk.output, sm, miller, kind, term)
            jobs.append(cut)
            slab_structure = cut.output["structure"]
        cut.append_name(f" {label}")
        relax = make_calc_job(sm.slab_relax_maker, slab_structure, f"{label} clean slab")
        relax.append_name(f" {label} clean")
        jobs.append(relax)
        return jobs, relax, ref, kind

    def make(
        self,
        material: str | Structure,
        miller: list[int] | tuple[int, int, int] = (1, 1, 1),
        *,
        name: str | None = None,
    ) -> Flow:
        """Build the flow for one material and facet.

        Parameters
        ----------
        material
            A catalogue name or formula, or a bulk ``Structure`` (the user's own material).
        miller
            Facet, Miller index of the conventional cell.
        name
            Label the results are stored under (``None``: the name, or the structure's
            reduced formula).

        Raises
        ------
        ConfigurationError
            For an unknown material, a bad Miller index, or a calculator without Li.
        """
        source = material
        _, _, kind = substrate_bulk(material, self.surface_maker, name=name)
        lowest = kind == "complex" and self.termination == LOWEST_GAMMA
        jobs, relax, ref, kind = self.clean_slab_jobs(
            material, miller, name=name, with_slab=not lowest
        )
        material = substrate_label(material, name)
        miller = [int(i) for i in miller]
        label = f"{material} {facet_label(miller)}"
        maker = (
            self
            if self.reduce_by_environment is not None
            else replace(self, reduce_by_environment=kind == "sqs")
        )
        if lowest:
            from lithiophilic.workflows.binding.terminations import sites_on_lowest_gamma

            surf = replace(self.surface_maker, millers=[miller]).make(source, name=material)
            fan = sites_on_lowest_gamma(
                maker, material, miller, jobs[0].output, ref.output, surf.output, kind
            )
            fan.append_name(f" {label}")
            return Flow([*jobs, surf, fan], output=fan.output, name=f"{self.name} {label}")
        sqs_seed = self.surface_maker.sqs_seed + self.sqs_sample if kind == "sqs" else None
        context = {
            "termination": 0 if self.termination == LOWEST_GAMMA else int(self.termination),
            "sqs_seed": sqs_seed,
            "termination_choice": "only one" if kind != "complex" else "fixed",
        }
        fan = make_site_jobs(maker, material, miller, relax.output, ref.output, context)
        fan.append_name(f" {label}")
        return Flow([*jobs, fan], output=fan.output, name=f"{self.name} {label}")


@dataclass
class LiMultilayerMaker(Maker):
    """Binding of 1…N Li layers on a (111) slab (Fig. 5d) and their relaxed structures (Fig. 5e).

    Steps: the references and the clean slab as in :class:`LiSiteBindingMaker` (reused from
    the database), then ideal Li layers (``construction``) n = 0…``max_layers`` on the relaxed
    slab, each relaxed, then :class:`LiMultilayerDoc`.

    Parameters
    ----------
    name
        Flow name.
    site_maker
        Supplies the slab and reference settings (its ``surface_maker``) and Makers.
    li_relax_maker
        Relaxes slab + Li layers.
    max_layers
        N, 1–10.
    construction
        ``"bcc110"`` (default: commensurate, nearly unstrained Li(110) layers) or
        ``"pseudomorphic"`` (one Li per surface atom in the hollows, ABC stacking; fcc only).
        Why bcc110 (SevenNet-0, Cu(111), 4 planes): its incremental E_b falls to
        0.00 eV/Li by n = 3–5, the bulk-Li limit it must reach, while the pseudomorphic film
        is 14 % compressed and its increments go to −0.16 eV/Li (strain, not binding).
    max_strain
        bcc110 only: largest principal strain of the Li layer, 0–0.5 (the smallest supercell
        within it is used; see :func:`~lithiophilic.structures.li_layers.add_li_layers`).
    complex_max_strain
        ``max_strain`` for substrates with a multi-atom primitive cell (γ-brass), whose slab
        cell is already large, so that doubling it doubles the cost (``binding --quick``:
        0.08 keeps Cu5Zn8(111) in its 78-atom cell); ``None``: ``max_strain``.
    growth
        ``"sequential"`` (default): layer-by-layer growth, layer n is put on the relaxed
        (n−1)-layer film (:func:`~lithiophilic.structures.li_layers.grow_li_layer`), so the
        relaxations run one after another. ``"independent"``: every n is relaxed from n ideal
        layers on the relaxed clean slab (the relaxations can run side by side on a queue).
        The distortion is measured from the same ideal sites either way. Why sequential
        (SevenNet-0, Cu(111) 6-plane slab, fmax 0.05 eV/Å): n = 2…5 took 18 BFGS steps
        (12 s) instead of 148 (84 s), every E(n) came out 0.007–0.075 eV lower, and E_b(5)
        is +0.001 eV/Li (bulk-Li limit 0) instead of −0.010.
    """

    name: str = "Li multilayer"
    site_maker: LiSiteBindingMaker = field(default_factory=LiSiteBindingMaker)
    li_relax_maker: Maker = field(
        default_factory=lambda: AseRelaxMaker(
            name="Li layers relax",
            fmax_ev_per_a=defaults.SLAB_FMAX_EV_PER_A,
            max_steps=defaults.SLAB_MAX_STEPS,
            allow_unconverged=True,
        )
    )
    max_layers: int = 5
    construction: Literal["pseudomorphic", "bcc110"] = "bcc110"
    max_strain: float = DEFAULT_MAX_STRAIN
    complex_max_strain: float | None = None
    growth: Literal["independent", "sequential"] = "sequential"

    def __post_init__(self) -> None:
        if not 1 <= self.max_layers <= 10:
            msg = f"max_layers: {self.max_layers} is outside the allowed range 1–10"
            raise ConfigurationError(msg)
        for name in ("max_strain", "complex_max_strain"):
            value = getattr(self, name)
            if value is None and name == "complex_max_strain":
                continue
            if not (math.isfinite(value) and 0 < value < 0.5):
                msg = f"{name}: {value!r} is outside the allowed range 0–0.5 (exclusive)"
                raise ConfigurationError(msg)
        if self.construction not in ("pseudomorphic", "bcc110"):
            msg = f"construction: {self.construction!r} is not one of 'pseudomorphic', 'bcc110'"
            raise ConfigurationError(msg)
        if self.growth not in LI_LAYER_GROWTH:
            msg = f"growth: {self.growth!r} is not one of {', '.join(map(repr, LI_LAYER_GROWTH))}"
            raise ConfigurationError(msg)

    def with_calculator(self, calculator: CalculatorSpec) -> LiMultilayerMaker:
        """Return a copy whose every sub-Maker uses ``calculator``."""
        return replace(
            self,
            site_maker=self.site_maker.with_calculator(calculator),
            li_relax_maker=with_calculator_spec(self.li_relax_maker, calculator),
        )

    def make(
        self,
        material: str | Structure,
        miller: list[int] | tuple[int, int, int] = (1, 1, 1),
        *,
        name: str | None = None,
    ) -> Flow:
        """Build the flow for one material (facet (111) for the pseudomorphic construction).

        Parameters
        ----------
        material
            A catalogue name or formula, or a bulk ``Structure``.
        miller
            Facet.
        name
            Label of the results (``None``: the name, or the structure's reduced formula).

        Raises
        ------
        ConfigurationError
            For a pseudomorphic film on a non-(111) facet or a substrate that is not fcc
            (:func:`has_fcc_111` says which), or Makers with different calculators.
        """
        miller = [int(i) for i in miller]
        if self.construction == "pseudomorphic" and sorted(abs(i) for i in miller) != [1, 1, 1]:
            msg = f"miller: {miller}; the pseudomorphic Li-layer construction needs an fcc (111) facet"
            raise ConfigurationError(msg)
        if not same_calculator(self.li_relax_maker, self.site_maker.li_relax_maker):
            mine = describe_maker(self.li_relax_maker)
            theirs = describe_maker(self.site_maker.li_relax_maker)
            msg = (
                f"calculator: Li layers would be relaxed with {mine} but the "
                f"slab and Li references with {theirs}; energies of "
                "different calculators cannot be combined (use with_calculator)"
            )
            raise ConfigurationError(msg)
        jobs, relax, ref, kind = self.site_maker.clean_slab_jobs(material, miller, name=name)
        if self.construction == "pseudomorphic" and not (
            kind == "sqs"  # random alloys are fcc: no second SQS build
            or has_fcc_111(material, surface_maker=self.site_maker.surface_maker, name=name)
        ):
            msg = (
                f"construction: 'pseudomorphic' needs an fcc substrate; "
                f"{substrate_label(material, name)} is not an fcc lattice, use "
                "construction='bcc110'"
            )
            raise ConfigurationError(msg)
        material = substrate_label(material, name)
        maker = self
        if kind == "complex" and self.complex_max_strain is not None:
            maker = replace(self, max_strain=self.complex_max_strain, complex_max_strain=None)
        fan = make_layer_jobs(maker, material, miller, relax.output, ref.output)
        fan.append_name(f" {material} {facet_label(miller)}")
        return Flow(
            [*jobs, fan], output=fan.output, name=f"{self.name} {material} {facet_label(miller)}"
        )
