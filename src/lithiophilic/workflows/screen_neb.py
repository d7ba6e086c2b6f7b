"""Li adatom mobility on a skin: the NEB barrier between its two lowest adsorbed sites (issue 20).

Reads top to bottom: the NEB runner shared with ``bench/bench_li_neb.py`` (:func:`run_li_neb`),
the end-point alignment (:func:`align_hop_endpoints`), the document (:class:`LiHopDoc`), the
``@job`` (:func:`li_hop`) and the Maker (:class:`LiHopMaker`).

Definition (:data:`HOP_DEFINITION`)::

    diffusion_barrier_ev = max_k E(image k) - E(initial)

eV, along a nudged-elastic-band path (ASE ``ase.mep.NEB``, IDPP start, FIRE) from the lowest
adsorbed site (initial) to the second-lowest *distinct* adsorbed site (final) of the 5c flow;
both end points are the stored relaxed slab+Li structures of those sites (not recomputed), the
final one moved by a lattice vector of the 1×1 slab so that its Li is the image nearest the
initial Li, with the substrate atoms renumbered to match. The same calculator as the 5c
relaxations; fixed atoms are those of the relaxed slab (bottom planes). A larger barrier = a
less mobile Li adatom. The reverse barrier (from the final site) and E(final) − E(initial) are
stored beside it. An NEB that does not reach ``fmax`` within ``max_steps``, or a skin with
fewer than two distinct adsorbed sites, gives ``diffusion_barrier_ev = None`` and the reason in
``failure`` — never a number.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from jobflow import CURRENT_JOB, JobConfig, Maker, job
from pydantic import Field
from pymatgen.core import Structure
from pymatgen.io.ase import AseAtomsAdaptor

from lithiophilic.analysis.li_outcome import OutcomeSettings, classify_site_row
from lithiophilic.errors import CalculationFailed, ConfigurationError
from lithiophilic.potentials import CalculatorSpec, calculator_provenance, get_calculator
from lithiophilic.provenance import structure_hash
from lithiophilic.workflows.base import CalculatorProvenance, find_reusable_output
from lithiophilic.workflows.binding import LiSiteBindingMaker

if TYPE_CHECKING:
    from ase import Atoms

__all__ = [
    "DISTINCT_SITE_A",
    "HOP_DEFINITION",
    "LiHopDoc",
    "LiHopMaker",
    "align_hop_endpoints",
    "li_hop",
    "run_li_neb",
]

logger = logging.getLogger(__name__)

#: Two relaxed Li closer than this in plane (after the lattice translations) are the same site, Å.
DISTINCT_SITE_A = 0.5
#: A substrate atom of the final end point further than this from its partner in the initial
#: one (after the translation) means the two relaxed slabs do not correspond, Å.
MATCH_TOLERANCE_A = 1.0

HOP_DEFINITION = (
    "diffusion_barrier_ev = max_k E(image k) - E(initial), eV: NEB (ase.mep, IDPP start, FIRE) "
    "from the lowest adsorbed site to the second-lowest distinct adsorbed site of the 5c flow "
    "(their stored relaxed structures, the final one moved to the Li image nearest the "
    "initial Li), same calculator, bottom planes fixed as in the relaxation; larger = less "
    "mobile Li. reverse_barrier_ev = max_k E - E(final). None with the reason in 'failure' "
    "when the NEB does not converge or there are < 2 distinct adsorbed sites."
)


# --------------------------------------------------------------------------- NEB runner
def run_li_neb(
    initial: Atoms,
    final: Atoms,
    calc: Any,
    *,
    n_images: int,
    climb: bool,
    fmax_ev_per_a: float,
    max_steps: int,
) -> dict[str, Any]:
    """Run an NEB between two relaxed end points with one shared calculator.

    Improved-tangent NEB, IDPP interpolation (minimum image), FIRE on the band; the end-point energies are computed
    once with ``calc``. Constraints of ``initial`` (fixed planes) hold for every image.

    Parameters
    ----------
    initial, final
        End points, same atoms in the same order (see :func:`align_hop_endpoints`).
    calc
        A live ASE calculator.
    n_images
        Moving images between the end points (≥ 1).
    climb
        Climbing image (the highest image climbs to the saddle).
    fmax_ev_per_a
        Convergence threshold of the NEB forces, eV/Å.
    max_steps
        FIRE step limit.

    Returns
    -------
    dict
        ``converged``, ``n_steps``, ``residual_force_ev_per_a``, ``energies_ev`` (end points
        included), ``profile_ev`` (E − E(initial)), ``barrier_ev`` (max − E(initial)),
        ``reverse_barrier_ev``, ``reaction_energy_ev``, ``max_image`` (index of the maximum),
        ``images`` (the band, Atoms).
    """
    from ase.calculators.singlepoint import SinglePointCalculator
    from ase.mep import NEB
    from ase.optimize import FIRE

    ends = []
    for end in (initial, final):
        atoms = end.copy()
        atoms.calc = calc
        energy, forces = float(atoms.get_potential_energy()), atoms.get_forces()
        atoms.calc = SinglePointCalculator(atoms, energy=energy, forces=forces)
        ends.append(atoms)
    images = [ends[0]] + [ends[0].copy() for _ in range(n_images)] + [ends[1]]
    for image in images[1:-1]:
        image.calc = calc
    neb = NEB(images, climb=climb, method="improvedtangent", allow_shared_calculator=True)
    neb.interpolate("idpp", mic=True)
    opt = FIRE(neb, logfile=None)
    converged = bool(opt.run(fmax=fmax_ev_per_a, steps=max_steps))
    energies = [float(im.get_potential_energy()) for im in images]
    top = int(np.argmax(energies))
    return {
        "converged": converged,
        "n_steps": int(opt.nsteps),
        "residual_force_ev_per_a": float(neb.get_residual()),
        "energies_ev": energies,
        "profile_ev": [e - energies[0] for e in energies],
        "barrier_ev": energies[top] - energies[0],
        "reverse_barrier_ev": energies[top] - energies[-1],
        "reaction_energy_ev": energies[-1] - energies[0],
        "max_image": top,
        "images": images,
    }


# --------------------------------------------------------------------------- end points
def _inplane_mic(vectors: np.ndarray, cell: np.ndarray) -> np.ndarray:
    """Shortest in-plane images of Cartesian vectors (a, b periodic; c not)."""
    frac = np.asarray(vectors, float) @ np.linalg.inv(cell)
    frac[..., :2] -= np.round(frac[..., :2])
    return frac @ cell


def align_hop_endpoints(
    initial: Atoms, final: Atoms, repeats: tuple[int, int] | list[int]
) -> tuple[Atoms, float]:
    """Return ``final`` moved next to ``initial`` and renumbered like it, and the hop length (Å).

    Both are relaxed slab+Li structures of the same ``repeats`` = (n1, n2) supercell of a 1×1
    slab, the Li adatom last. ``final`` is translated by the lattice vector i·a/n1 + j·b/n2
    (a symmetry of the clean supercell) that brings its Li nearest to the initial Li; every
    substrate atom is then matched to the nearest atom of the same element of ``initial`` and
    placed at the periodic image closest to it, and the constraints of ``initial`` are copied.

    Raises
    ------
    CalculationFailed
        If the last atom of either is not Li, or the substrates do not correspond (an atom
        further than :data:`MATCH_TOLERANCE_A` from every partner, or two atoms on one).
    """
    if initial.get_chemical_symbols()[-1] != "Li" or final.get_chemical_symbols()[-1] != "Li":
        msg = "the hop end points must end with the Li adatom"
        raise CalculationFailed(msg)
    if len(initial) != len(final):
        msg = f"the hop end points have {len(initial)} and {len(final)} atoms"
        raise CalculationFailed(msg)
    cell = np.asarray(initial.cell, float)
    n1, n2 = int(repeats[0]), int(repeats[1])
    shifts = [i * cell[0] / n1 + j * cell[1] / n2 for i in range(n1) for j in range(n2)]
    li_i, li_f = initial.positions[-1], final.positions[-1]
    hops = [_inplane_mic(li_f + t - li_i, cell) for t in shifts]
    best = int(np.argmin([np.hypot(h[0], h[1]) for h in hops]))
    moved = final.positions + shifts[best]
    diff = _inplane_mic(moved[None, :, :] - initial.positions[:, None, :], cell)
    dist = np.linalg.norm(diff, axis=2)
    symbols_i = np.array(initial.get_chemical_symbols())
    symbols_f = np.array(final.get_chemical_symbols())
    dist[symbols_i[:, None] != symbols_f[None, :]] = np.inf
    dist[-1, :], dist[:, -1] = np.inf, np.inf
    perm = np.argmin(dist[:-1, :-1], axis=1)
    worst = float(dist[np.arange(len(perm)), perm].max()) if len(perm) else 0.0
    if len(set(perm.tolist())) != len(perm) or worst > MATCH_TOLERANCE_A:
        msg = (
            f"the relaxed slabs of the two sites do not correspond (an atom {worst:.2f} Å from "
            f"its partner, tolerance {MATCH_TOLERANCE_A} Å, or two atoms on one)"
        )
        raise CalculationFailed(msg)
    out = initial.copy()
    pos = initial.positions.copy()
    pos[:-1] += diff[np.arange(len(perm)), perm]
    pos[-1] = li_i + hops[best]
    out.positions = pos
    return out, float(np.hypot(hops[best][0], hops[best][1]))


# --------------------------------------------------------------------------- document
class LiHopDoc(CalculatorProvenance):
    """Li adatom hop between the two lowest distinct adsorbed sites of a skin (NEB)."""

    doc_type: Literal["li_hop"] = Field("li_hop", description="Document family.")
    material: str = Field(description="Skin label.")
    miller: list[int] = Field(description="Facet.")
    initial_site_label: str | None = Field(None, description="Lowest adsorbed site (5c label).")
    final_site_label: str | None = Field(None, description="Second-lowest distinct site.")
    initial_site_kind: str | None = Field(None, description="Where the initial Li sits.")
    final_site_kind: str | None = Field(None, description="Where the final Li sits.")
    hop_length_a: float | None = Field(None, description="In-plane Li displacement, Å.")
    diffusion_barrier_ev: float | None = Field(
        None, description="max E(image) - E(initial), eV; None: see failure."
    )
    reverse_barrier_ev: float | None = Field(None, description="max E(image) - E(final), eV.")
    reaction_energy_ev: float | None = Field(None, description="E(final) - E(initial), eV.")
    profile_ev: list[float] = Field(
        default_factory=list, description="E(image) - E(initial) along the band, eV."
    )
    max_image: int | None = Field(None, description="Index of the highest image (0 = initial).")
    interior_maximum: bool | None = Field(
        None,
        description="The highest image is between the end points (a saddle); False: the "
        "profile rises to the final site, the barrier is E(final) - E(initial) and the final "
        "site is no minimum along this path.",
    )
    initial_energy_ev: float | None = Field(None, description="E(initial end point), eV.")
    final_energy_ev: float | None = Field(None, description="E(final end point), eV.")
    n_images: int = Field(description="Moving images.")
    climb: bool = Field(description="Climbing image used.")
    fmax_ev_per_a: float = Field(description="NEB force threshold, eV/Å.")
    max_steps: int = Field(description="FIRE step limit.")
    n_steps: int = Field(0, description="FIRE steps taken.")
    residual_force_ev_per_a: float | None = Field(None, description="Final NEB force, eV/Å.")
    n_fixed_atoms: int = Field(0, description="Atoms held fixed (bottom planes).")
    converged: bool = Field(description="The NEB reached fmax within max_steps.")
    failure: str | None = Field(None, description="Why there is no barrier (None: there is).")
    initial_structure_hash: str | None = Field(None, description="Hash of the initial end point.")
    final_structure_hash: str | None = Field(None, description="Hash of the aligned final one.")
    calculator_settings: dict[str, Any] = Field(
        default_factory=dict, description="Effective calculator settings."
    )
    cache_key: str = Field("", description="Hash of end points, calculator and NEB settings.")
    band: list[Structure] = Field(
        default_factory=list, description="Converged band, end points included (data store)."
    )
    definition: str = Field(HOP_DEFINITION, description="Convention.")


# --------------------------------------------------------------------------- job
def _site_doc(store: Any, material: str, miller: list[int], row: dict[str, Any], calc: str) -> Any:
    """Return the stored LiSiteDoc output of one summary row (same label and energy), or None."""
    doc = store.query_one(
        {
            "output.doc_type": "li_site",
            "output.material": material,
            "output.miller": list(miller),
            "output.site_label": row["site_label"],
            "output.energy_ev": row["energy_ev"],
            "output.calculator_name": calc,
        },
        properties=["output"],
        load=True,
    )
    return None if doc is None else doc["output"]


def _atoms(structure: Any) -> Atoms:
    st = structure if isinstance(structure, Structure) else Structure.from_dict(structure)
    return AseAtomsAdaptor.get_atoms(st)


def _hop_end_points(
    store: Any, material: str, miller: list[int], summary: dict[str, Any], calc: str
) -> tuple[dict[str, Any] | None, str | None]:
    """Return the two lowest distinct adsorbed sites (aligned end points), or the reason why not."""
    settings = OutcomeSettings(**(summary.get("outcome_settings") or {}))
    rows = [r for r in summary.get("rows", []) if classify_site_row(r, settings) == "adsorbed"]
    rows.sort(key=lambda r: float(r["energy_ev"]))
    if len(rows) < 2:
        return None, f"{len(rows)} adsorbed site(s) relaxed: no hop between two sites"
    first = _site_doc(store, material, miller, rows[0], calc)
    if first is None:
        return None, f"the relaxed structure of site {rows[0]['site_label']} is not stored"
    initial = _atoms(first["relaxed_structure"])
    for row in rows[1:]:
        doc = _site_doc(store, material, miller, row, calc)
        if doc is None:
            continue
        final, hop = align_hop_endpoints(
            initial, _atoms(doc["relaxed_structure"]), doc["supercell"]
        )
        if hop > DISTINCT_SITE_A:
            return {
                "initial": initial,
                "final": final,
                "hop_length_a": hop,
                "initial_site_label": rows[0]["site_label"],
                "final_site_label": row["site_label"],
                "initial_site_kind": rows[0]["final_site_kind"],
                "final_site_kind": row["final_site_kind"],
            }, None
    return None, (
        f"every adsorbed site relaxed to the site of {rows[0]['site_label']} (within "
        f"{DISTINCT_SITE_A} Å): no second distinct adsorbed site"
    )


def _hop_cache_key(maker: LiHopMaker, initial: Atoms, final: Atoms) -> str:
    blob = json.dumps(
        [structure_hash(initial), structure_hash(final), maker.calculator.key(), maker.settings()],
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def _structure(atoms: Atoms) -> Structure:
    st = AseAtomsAdaptor.get_structure(atoms)
    st.properties = {}
    return st


@job(output_schema=LiHopDoc, data=["band"], config=JobConfig(expose_store=True))
def li_hop(maker: LiHopMaker, material: str, miller: list[int], summary: Any) -> LiHopDoc:
    """Run the NEB between the two lowest distinct adsorbed sites of the 5c ``summary``.

    The end points are read from the store (the 5c flow's relaxed LiSiteDoc structures, matched
    by site label and energy). A stored converged result with the same end points, calculator
    and settings is reused. No second distinct site or an unconverged NEB gives a document with
    ``diffusion_barrier_ev=None`` and ``failure``.
    """
    if hasattr(summary, "model_dump"):
        summary = summary.model_dump()
    prov = calculator_provenance(maker.calculator)
    base: dict[str, Any] = {
        "material": material,
        "miller": list(miller),
        **maker.settings(),
        "calculator_name": prov["calculator_name"],
        "calculator_version": prov["calculator_version"],
        "calculator_model": prov["calculator_model"],
        "calculator_settings": prov["settings"],
    }
    store = getattr(CURRENT_JOB, "store", None)
    if store is None:
        msg = "li_hop needs the job store (run it as a jobflow job)"
        raise CalculationFailed(msg)
    ends, why = _hop_end_points(store, material, miller, summary, maker.calculator.name)
    if ends is None:
        logger.warning("%s: no Li hop: %s", material, why)
        return LiHopDoc(**base, converged=False, failure=why)
    initial, final = ends.pop("initial"), ends.pop("final")
    key = _hop_cache_key(maker, initial, final)
    found = find_reusable_output(
        {"output.doc_type": "li_hop", "output.cache_key": key, "output.converged": True}
    )
    if found is not None:
        logger.info("%s Li hop: reusing stored result %s", material, found["reused_from_uuid"])
        found.pop("reused_from_uuid", None)
        return LiHopDoc.model_validate(found)
    res = run_li_neb(
        initial,
        final,
        get_calculator(maker.calculator),
        n_images=maker.n_images,
        climb=maker.climb,
        fmax_ev_per_a=maker.fmax_ev_per_a,
        max_steps=maker.max_steps,
    )
    failure = None
    if not res["converged"]:
        failure = (
            f"NEB not converged after {res['n_steps']} steps (residual force "
            f"{res['residual_force_ev_per_a']:.3f} eV/Å > fmax {maker.fmax_ev_per_a})"
        )
        logger.warning("%s: %s", material, failure)
    ok = res["converged"]
    return LiHopDoc(
        **base,
        **ends,
        diffusion_barrier_ev=res["barrier_ev"] if ok else None,
        reverse_barrier_ev=res["reverse_barrier_ev"] if ok else None,
        reaction_energy_ev=res["reaction_energy_ev"],
        profile_ev=res["profile_ev"],
        max_image=res["max_image"],
        interior_maximum=0 < res["max_image"] < len(res["energies_ev"]) - 1,
        initial_energy_ev=res["energies_ev"][0],
        final_energy_ev=res["energies_ev"][-1],
        n_steps=res["n_steps"],
        residual_force_ev_per_a=res["residual_force_ev_per_a"],
        n_fixed_atoms=len(initial) - len(_free_indices(initial)),
        converged=ok,
        failure=failure,
        initial_structure_hash=structure_hash(initial),
        final_structure_hash=structure_hash(final),
        cache_key=key,
        band=[_structure(im) for im in res["images"]],
    )


def _free_indices(atoms: Atoms) -> list[int]:
    from ase.constraints import FixAtoms

    fixed: set[int] = set()
    for c in atoms.constraints:
        if isinstance(c, FixAtoms):
            fixed.update(int(i) for i in c.get_indices())
    return [i for i in range(len(atoms)) if i not in fixed]


# --------------------------------------------------------------------------- Maker
@dataclass
class LiHopMaker(Maker):
    """NEB barrier of a Li adatom between the two lowest distinct adsorbed sites of a skin.

    Parameters
    ----------
    name
        Job name.
    site_maker
        The 5c Maker whose relaxations gave the end points; its ``li_relax_maker.calculator``
        runs the NEB.
    n_images
        Moving images (1–15; ``screen --quick``: 3).
    climb
        Climbing image (``screen --quick``: off).
    fmax_ev_per_a
        NEB force threshold, eV/Å (0.001–0.5).
    max_steps
        FIRE step limit (≥ 1).
    """

    name: str = "Li hop"
    site_maker: LiSiteBindingMaker = field(default_factory=LiSiteBindingMaker)
    n_images: int = 5
    climb: bool = True
    fmax_ev_per_a: float = 0.05
    max_steps: int = 300

    def __post_init__(self) -> None:
        if not 1 <= int(self.n_images) <= 15:
            msg = f"n_images: {self.n_images} is outside the allowed range 1–15"
            raise ConfigurationError(msg)
        if not 0.001 <= float(self.fmax_ev_per_a) <= 0.5:
            msg = f"fmax_ev_per_a: {self.fmax_ev_per_a} eV/Å is outside the allowed range 0.001–0.5"
            raise ConfigurationError(msg)
        if int(self.max_steps) < 1:
            msg = f"max_steps: {self.max_steps} must be >= 1"
            raise ConfigurationError(msg)
        if not isinstance(
            getattr(self.site_maker.li_relax_maker, "calculator", None), CalculatorSpec
        ):
            msg = "site_maker: its li_relax_maker has no CalculatorSpec to run the NEB with"
            raise ConfigurationError(msg)

    @property
    def calculator(self) -> CalculatorSpec:
        """The calculator of the 5c Li relaxations (the NEB's)."""
        return self.site_maker.li_relax_maker.calculator

    def settings(self) -> dict[str, Any]:
        """Return the NEB settings stored in the document and the cache key."""
        return {
            "n_images": int(self.n_images),
            "climb": bool(self.climb),
            "fmax_ev_per_a": float(self.fmax_ev_per_a),
            "max_steps": int(self.max_steps),
        }

    def make(self, material: str, miller: list[int], summary: Any) -> Any:
        """Return the NEB job of one skin and facet; ``summary`` is its 5c flow's output."""
        hop = li_hop(self, material, [int(i) for i in miller], summary)
        hop.name = f"{self.name} {material} {''.join(str(int(i)) for i in miller)}"
        return hop
