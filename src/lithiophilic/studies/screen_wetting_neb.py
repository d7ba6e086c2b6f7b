"""The wetting and mobility descriptors of the skin screen (issue 20), hooked into :mod:`.screen`.

- **wetting** (:class:`~lithiophilic.workflows.screen_wetting.LiWettingMaker`):
  ``adhesion_energy_j_per_m2`` W_adh = [E(skin slab) + E(strained free Li film) −
  E(interface)]/A of an N-layer bcc Li(110) film (N = ``wetting_layers``: 4, ``--quick`` 3) in the
  lowest-strain coincidence cell within the strain bound, J/m², > 0 = the film adheres; with the
  film strain energy, γ_Li(110) and the Young–Dupré contact angle cos θ = W_adh/γ_Li − 1
  (``contact_angle_deg``, clamped; complete wetting / non-wetting flagged).
- **mobility** (:class:`~lithiophilic.workflows.screen_neb.LiHopMaker`):
  ``diffusion_barrier_ev`` = max E(image) − E(lowest site) of the NEB from the lowest to the
  second-lowest distinct adsorbed site of the 5c flow (their stored relaxed structures), eV;
  climbing image with 5 images, ``--quick`` 3 images without climbing image.

Both are reported beside the score (weight 0 in ``screen-rule-1``). A missing one carries its
reason (failed or unconverged NEB, fewer than two distinct adsorbed sites, unconverged film
relaxation), never a number.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

from jobflow import Flow

from lithiophilic.db import get_output_dict
from lithiophilic.defaults import QUICK_LI_MAX_STRAIN
from lithiophilic.errors import ConfigurationError
from lithiophilic.studies import li_layers, li_sites
from lithiophilic.workflows.screen_neb import HOP_DEFINITION, LiHopMaker
from lithiophilic.workflows.screen_wetting import LiWettingMaker, check_coincidence_cell

if TYPE_CHECKING:
    from collections.abc import Mapping

    from jobflow import JobStore

__all__ = [
    "DEFINITION",
    "REPORTED",
    "add_flows",
    "collect_skin",
    "detail_lines",
    "hop_maker",
    "neb_settings",
    "no_cell_reason",
    "strain_bound",
    "wetting_layers",
    "wetting_maker",
]

logger = logging.getLogger(__name__)

#: Descriptors added to each skin's row (reported only; the first two are in the rule, weight 0).
REPORTED: tuple[str, ...] = (
    "adhesion_energy_j_per_m2",
    "diffusion_barrier_ev",
    "contact_angle_deg",
)

#: Wetting fields copied into ``Result.wetting`` per skin.
_WETTING_KEYS = (
    "adhesion_energy_j_per_m2",
    "adhesion_energy_ev_per_a2",
    "strain_energy_ev",
    "strain_energy_per_li_ev",
    "li_surface_energy_j_per_m2",
    "cos_contact_angle_raw",
    "contact_angle_deg",
    "wetting_regime",
    "n_layers_li",
    "li_per_layer",
    "area_a2",
    "li_layer_strain",
    "max_strain_allowed",
    "converged",
    "unconverged",
)
_HOP_KEYS = (
    "diffusion_barrier_ev",
    "reverse_barrier_ev",
    "reaction_energy_ev",
    "initial_site_label",
    "final_site_label",
    "initial_site_kind",
    "final_site_kind",
    "hop_length_a",
    "profile_ev",
    "n_images",
    "climb",
    "fmax_ev_per_a",
    "interior_maximum",
    "converged",
    "failure",
)

DEFINITION = (
    "adhesion_energy_j_per_m2: W_adh = [E(skin slab) + E(strained free Li film) - "
    "E(interface)]/A of an N-layer bcc Li(110) film in the lowest-strain coincidence cell "
    "(N = 4, quick 3), J/m2 (> 0: the film adheres; its strain cancels, the strain energy "
    "E(strained film) - E(unstrained film, same N) is reported); contact_angle_deg: "
    "cos(theta) = W_adh/gamma_Li(110) - 1 (Young-Dupre, same calculator), clamped to 0-180 "
    "(complete wetting / non-wetting flagged). " + HOP_DEFINITION + " (5 images with "
    "climbing image; quick: 3 images, no climbing image). Both reported, weight 0."
)


#: The Options field named when no coincidence cell is within the strain bound.
STRAIN_FIELD = "wetting_max_strain"


#: What the first-layer reason names as the bound (the screen has no option for it).
FIRST_LAYER_FIELD = "first layer"

_BEST = re.compile(r"best: (?P<best>[0-9.]+) with (?P<m>\d+) cell\(s\) and (?P<n>\d+) Li")


def wetting_layers(options: Any) -> int:
    """Return N, the Li(110) layers of the wetting film (4; ``--quick``: 3 unless given)."""
    if options.wetting_layers is not None:
        return int(options.wetting_layers)
    return 3 if options.preset == "quick" else 4


def neb_settings(options: Any) -> dict[str, Any]:
    """Return the NEB settings: 5 images with climbing image; ``--quick``: 3, no climbing image."""
    quick = options.preset == "quick"
    return {
        "n_images": options.neb_images or (3 if quick else 5),
        "climb": not quick if options.neb_climb is None else bool(options.neb_climb),
        "fmax_ev_per_a": 0.1 if quick else 0.05,
    }


def wetting_maker(options: Any, layers_options: li_layers.Options) -> LiWettingMaker:
    """Return the wetting Maker: the screen's first-layer 5d Maker grown to N layers."""
    lm = li_layers.layer_maker(layers_options)
    if options.wetting_max_strain is not None:
        lm = replace(lm, max_strain=options.wetting_max_strain, complex_max_strain=None)
    return LiWettingMaker(
        layer_maker=lm,
        n_layers=wetting_layers(options),
        gamma_layers=6 if options.preset == "quick" else 8,
    )


def hop_maker(options: Any, sites_options: li_sites.Options) -> LiHopMaker:
    """Return the NEB Maker on the 5c relaxations of the skin."""
    return LiHopMaker(site_maker=li_sites.site_maker(sites_options), **neb_settings(options))


def add_flows(
    flows: dict[str, Flow],
    options: Any,
    label: str,
    material: Any,
    facet: list[int],
    *,
    sites_options: li_sites.Options,
    layers_options: li_layers.Options,
    bulk: tuple[Any, str] | None = None,
) -> None:
    """Add ``<skin> wetting`` and put the NEB job into ``<skin> adsorption`` (it reads its summary).

    With the default strain bound (``wetting_max_strain=None``) a skin without a coincidence
    cell within it gets no wetting flow (the descriptor is missing, with the reason); a bound
    the user gave that no cell meets is bad input.

    Raises
    ------
    ConfigurationError
        ``wetting_max_strain``: given, and no coincidence cell within it (nothing runs).
    """
    maker = wetting_maker(options, layers_options)
    try:
        flows[f"{label} wetting"] = maker.make(
            material, facet, name=label, strain_field=STRAIN_FIELD, bulk=bulk
        )
    except ConfigurationError as exc:
        if options.wetting_max_strain is not None or not str(exc).startswith(STRAIN_FIELD):
            raise
        logger.warning("%s: no wetting flow: %s", label, exc)
    key = f"{label} adsorption"
    sites = flows[key]
    hop = hop_maker(options, sites_options).make(label, facet, sites.output)
    flows[key] = Flow([sites, hop], output=sites.output, name=sites.name)


def strain_bound(options: Any, what: str, layers_options: li_layers.Options, kind: str) -> float:
    """Return the Li strain bound of the ``"wetting"`` or ``"first layer"`` flow on a ``kind`` skin."""
    if what == "wetting":
        return wetting_maker(options, layers_options).strain_bound(kind)
    lm = li_layers.layer_maker(layers_options)
    return float(
        lm.complex_max_strain if kind == "complex" and lm.complex_max_strain else lm.max_strain
    )


def no_cell_reason(
    options: Any,
    label: str,
    material: Any,
    facet: list[int],
    what: Literal["wetting", "first layer"],
    layers_options: li_layers.Options,
    *,
    bulk: tuple[Any, str] | None = None,
) -> str | None:
    """Return why the ``what`` flow of a skin is not built, or ``None`` if its cell exists.

    The check is :func:`~lithiophilic.workflows.screen_wetting.check_coincidence_cell` on the
    unrelaxed slab with the flow's strain bound (:func:`strain_bound`): the wetting film's
    (``wetting_max_strain``, default the 5d bound) or the first layer's (the 5d bound: 5 %,
    ``--quick`` 8 % on multi-atom primitive cells). It is deterministic, so :func:`add_flows`
    / the screen's ``build_flows`` and ``collect`` (any process) reach the same answer.

    Returns
    -------
    str or None
        ``"no <what> flow: no coincidence cell within X %: best Y % (...)"``.
    """
    from lithiophilic.studies.screen_skin import skin_bulk

    lm = li_layers.layer_maker(layers_options)
    bulk = bulk if bulk is not None else skin_bulk(material)  # as build_flows has it
    bound = strain_bound(options, what, layers_options, bulk[1])
    field = STRAIN_FIELD if what == "wetting" else FIRST_LAYER_FIELD
    try:
        check_coincidence_cell(
            material,
            facet,
            max_strain=bound,
            multilayer=lm,
            name=label,
            field_name=field,
            bulk=bulk,
        )
    except ConfigurationError as exc:
        if not str(exc).startswith(field):
            raise
        found = _BEST.search(str(exc))
        best = (
            f"best {100 * float(found['best']):.1f} % ({found['m']} slab cells, "
            f"{found['n']} Li per layer)"
            if found
            else "no cell at all"
        )
        hint = (
            f"raise {STRAIN_FIELD}"
            if what == "wetting"
            else "the first layer's bound is the preset's (--quick: "
            f"{100 * QUICK_LI_MAX_STRAIN:.0f} % on multi-atom primitive cells)"
        )
        return (
            f"no {what} flow: no coincidence cell within {100 * bound:.1f} %: {best} on "
            f"{label} {''.join(map(str, facet))}; {hint}"
        )
    return None


def _latest(store: JobStore, criteria: dict[str, Any]) -> dict[str, Any] | None:
    """Return the newest matching output, its data-store fields (band, interface) loaded."""
    docs = store.query(criteria=dict(criteria), sort={"completed_at": -1}, limit=1, load=True)
    for doc in docs:
        return li_sites.plain_document(doc["output"])
    return None


def collect_skin(
    store: JobStore,
    options: Any,
    label: str,
    facet: list[int],
    values: dict[str, float | None],
    why: dict[str, str],
    result: Any,
    *,
    outputs: Mapping[str, str] | None = None,
    material: Any = None,
    layers_options: li_layers.Options | None = None,
) -> None:
    """Fill the wetting and mobility descriptors of one skin (and ``result.wetting/mobility``).

    A missing wetting document is explained from the skin itself (``material`` and
    ``layers_options`` given): :func:`no_cell_reason` repeats the build-time cell search, so a
    collect in another process (after ``submit``) states the same reason.
    """
    base = {"output.material": label, "output.miller": facet}
    base["output.calculator_name"] = options.calculator
    uuid = None if outputs is None else outputs.get(f"{label} wetting")
    wet = get_output_dict(store, uuid) if uuid is not None else None
    if wet is None or wet.get("doc_type") != "li_wetting":
        crit = {
            **base,
            "output.doc_type": "li_wetting",
            "output.n_layers_li": wetting_layers(options),
        }
        wet = _latest(store, crit)
    values["adhesion_energy_j_per_m2"] = values["contact_angle_deg"] = None
    if wet is None:
        no_cell = None
        if material is not None and layers_options is not None:
            no_cell = no_cell_reason(options, label, material, facet, "wetting", layers_options)
        why["adhesion_energy_j_per_m2"] = no_cell or "wetting flow missing or failed"
    elif not wet["converged"]:
        why["adhesion_energy_j_per_m2"] = (
            f"relaxation not converged: {', '.join(wet['unconverged'])}"
        )
    else:
        values["adhesion_energy_j_per_m2"] = float(wet["adhesion_energy_j_per_m2"])
        values["contact_angle_deg"] = float(wet["contact_angle_deg"])
    if wet is not None:
        result.wetting[label] = {k: wet.get(k) for k in _WETTING_KEYS}
    crit = {**base, "output.doc_type": "li_hop"}
    crit.update({f"output.{k}": v for k, v in neb_settings(options).items()})
    hop = _latest(store, crit)
    values["diffusion_barrier_ev"] = None
    if hop is None:
        why["diffusion_barrier_ev"] = "NEB job missing or failed"
    elif hop.get("diffusion_barrier_ev") is None:
        why["diffusion_barrier_ev"] = str(hop.get("failure") or "no barrier")
    else:
        values["diffusion_barrier_ev"] = float(hop["diffusion_barrier_ev"])
    if hop is not None:
        result.mobility[label] = {k: hop.get(k) for k in _HOP_KEYS}


def detail_lines(result: Any) -> list[str]:
    """Return one line per skin on wetting and one on mobility (for the CLI report)."""
    lines = []
    for skin, w in result.wetting.items():
        if w.get("adhesion_energy_j_per_m2") is None:
            continue
        lines.append(
            f"{skin} wetting: W_adh {w['adhesion_energy_j_per_m2']:+.3f} J/m2 "
            f"({w['adhesion_energy_ev_per_a2']:+.4f} eV/A2), {w['n_layers_li']} Li(110) layers x "
            f"{w['li_per_layer']} Li, film strain {w['strain_energy_per_li_ev']:+.3f} eV/Li, "
            f"gamma_Li(110) {w['li_surface_energy_j_per_m2']:.3f} J/m2, cos(theta) "
            f"{w['cos_contact_angle_raw']:+.2f} -> theta {w['contact_angle_deg']:.0f} deg "
            f"({w['wetting_regime']}){'' if w['converged'] else ' [not converged]'}"
        )
    for skin, h in result.mobility.items():
        if h.get("diffusion_barrier_ev") is None:
            lines.append(f"{skin} mobility: no barrier ({h.get('failure')})")
            continue
        lines.append(
            f"{skin} mobility: {h['initial_site_label']} ({h['initial_site_kind']}) -> "
            f"{h['final_site_label']} ({h['final_site_kind']}), {h['hop_length_a']:.2f} A: "
            f"barrier {h['diffusion_barrier_ev']:.3f} eV, reverse {h['reverse_barrier_ev']:.3f} eV "
            f"({h['n_images']} images, climbing image {'on' if h['climb'] else 'off'})"
            + (
                "; no interior maximum: the profile rises to the final site (no minimum there "
                "along this path)"
                if h.get("interior_maximum") is False
                else ""
            )
        )
    for skin, why in result.reasons.items():
        for name in ("adhesion_energy_j_per_m2", "diffusion_barrier_ev"):
            if name in why and not (name == "diffusion_barrier_ev" and skin in result.mobility):
                lines.append(f"{skin}: {name} missing ({why[name]})")
    return lines
