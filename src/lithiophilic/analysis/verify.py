"""Whether a verdict resting on an MLIP survives DFT: the same claim rule on DFT numbers.

The MLIP's rows (surface energies, Li-site summaries) are restricted to what was verified and
copied with the DFT numbers in place of the MLIP ones; the panel's own claim function
(:func:`~lithiophilic.analysis.claims.claims_5a`, :func:`~lithiophilic.analysis.claims.claims_5c`)
then gives the MLIP and the DFT verdict under the same thresholds. ``survives``: ``yes``
(same definite verdict), ``no`` (another definite verdict), ``inconclusive`` (either is
inconclusive) or ``not run`` (nothing verified / a material missing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lithiophilic.analysis.claims import Claim, claims_5a, claims_5c

__all__ = [
    "binding_key",
    "dft_binding_summaries",
    "dft_gamma_rows",
    "gamma_key",
    "survives",
    "verify_claims",
]

_DEFINITE = ("agree", "disagree")


def gamma_key(row: Mapping[str, Any]) -> tuple[Any, ...]:
    """Return the identity of a surface-energy row or VerifyGammaDoc (material, facet, slab)."""
    return (
        row["material"],
        tuple(row["miller"]),
        int(row.get("termination") or 0),
        row.get("sqs_seed"),
        int(row["n_layers"]),
    )


def binding_key(row: Mapping[str, Any]) -> tuple[Any, ...]:
    """Return the identity of a Li-site summary (material, facet, termination, SQS seed)."""
    return (row["material"], tuple(row["miller"]), row.get("termination"), row.get("sqs_seed"))


def dft_gamma_rows(
    rows: Sequence[Mapping[str, Any]], checks: Sequence[Mapping[str, Any]], *, relaxed: bool = False
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return (MLIP rows, DFT rows) of the verified slabs.

    The DFT rows are the MLIP rows with γ (and its Δμ-edge values) replaced by the DFT γ
    (``dft_gamma_sp_j_per_m2``, or ``dft_gamma_relaxed_j_per_m2`` with ``relaxed``), so the
    same claim rule reads both. A check without a DFT value is left out of both.
    """
    by_key = {gamma_key(c): c for c in checks}
    mlip_rows, dft_rows = [], []
    for r in rows:
        c = by_key.get(gamma_key(r))
        g = (
            None
            if c is None
            else c.get("dft_gamma_relaxed_j_per_m2" if relaxed else "dft_gamma_sp_j_per_m2")
        )
        if g is None:
            continue
        mlip_rows.append(dict(r))
        d = dict(r)
        d.pop("gamma_vs_delta_mu", None)
        for k in (
            "gamma_relaxed_j_per_m2",
            "gamma_relaxed_min_j_per_m2",
            "gamma_relaxed_max_j_per_m2",
            "gamma_relaxed_at_delta_mu_min_j_per_m2",
            "gamma_relaxed_at_delta_mu_max_j_per_m2",
        ):
            d[k] = g
        dft_rows.append(d)
    return mlip_rows, dft_rows


def dft_binding_summaries(
    summaries: Sequence[Mapping[str, Any]],
    checks: Sequence[Mapping[str, Any]],
    *,
    relaxed: bool = False,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return (MLIP summaries, DFT summaries), each restricted to the verified sites.

    Per-site rows keep their MLIP outcome data; the DFT copy carries the DFT E_b
    (``dft_binding_sp_ev`` or ``dft_binding_relaxed_ev``). Summaries without a verified
    site are left out.
    """
    per_slab: dict[tuple[Any, ...], dict[str, float]] = {}
    for c in checks:
        value = c.get("dft_binding_relaxed_ev" if relaxed else "dft_binding_sp_ev")
        if value is not None:
            per_slab.setdefault(binding_key(c), {})[c["site_label"]] = float(value)
    mlip_out, dft_out = [], []
    for s in summaries:
        values = per_slab.get(binding_key(s))
        if not values:
            continue
        rows = [dict(r) for r in s.get("rows") or [] if r["site_label"] in values]
        if not rows:
            continue
        m = {
            **s,
            "rows": rows,
            "binding_energy_bcc_ev": max(r["binding_energy_bcc_ev"] for r in rows),
        }
        drows = []
        for r in rows:
            eb = values[r["site_label"]]
            drows.append({**r, "binding_energy_bcc_ev": eb, "adsorption_energy_bcc_ev": -eb})
        d = {
            **s,
            "rows": drows,
            "binding_energy_bcc_ev": max(r["binding_energy_bcc_ev"] for r in drows),
        }
        mlip_out.append(m)
        dft_out.append(d)
    return mlip_out, dft_out


def survives(mlip_verdict: str, dft_verdict: str) -> str:
    """Return ``yes``, ``no``, ``inconclusive`` or ``not run`` for a pair of verdicts."""
    if "not run" in (mlip_verdict, dft_verdict):
        return "not run"
    if mlip_verdict in _DEFINITE and dft_verdict in _DEFINITE:
        return "yes" if mlip_verdict == dft_verdict else "no"
    return "inconclusive"


_SURVIVES_AS_VERDICT = {"yes": "agree", "no": "disagree", "inconclusive": "inconclusive"}


def _pair_claims(
    panel: str,
    mlip: Sequence[Claim],
    dft: Sequence[Claim],
    settings: str,
    times: str,
    mode: str,
) -> list[Claim]:
    out = []
    for m, d in zip(mlip, dft, strict=False):
        s = survives(m.verdict, d.verdict)
        out.append(
            Claim(
                panel,
                f"(DFT check, {mode}) the MLIP verdict on “{m.claim}” survives DFT",
                f"survives DFT: {s} — MLIP: {m.verdict} ({m.ours}); DFT: {d.verdict} ({d.ours})",
                _SURVIVES_AS_VERDICT.get(s, "not run"),  # type: ignore[arg-type]
                f"same rule on the verified slabs/sites, MLIP vs DFT numbers — MLIP: {m.reason}; "
                f"DFT: {d.reason}; {settings}; {times}",
            )
        )
    return out


def verify_claims(
    *,
    surface_rows: Sequence[Mapping[str, Any]] | None,
    gamma_checks: Sequence[Mapping[str, Any]],
    summaries: Sequence[Mapping[str, Any]] | None,
    binding_checks: Sequence[Mapping[str, Any]],
    settings: str = "",
    times: str = "",
    roles: Mapping[str, str] | None = None,
) -> list[Claim]:
    """Return the "survives DFT" claim rows of 5a and 5c (single points, and relaxed if run).

    Parameters
    ----------
    surface_rows, summaries
        The MLIP's surface-energy rows and Li-site summaries (None: that study did not run).
    gamma_checks, binding_checks
        VerifyGammaDoc / VerifyBindingDoc dicts.
    settings, times
        DFT settings and wall times, printed in each row's reason.
    roles
        Role -> material label (default :data:`lithiophilic.defaults.PAPER_ROLES`).
    """
    out: list[Claim] = []
    for relaxed, mode in ((False, "single points"), (True, "DFT-relaxed")):
        key = "dft_gamma_relaxed_j_per_m2" if relaxed else "dft_gamma_sp_j_per_m2"
        if any(c.get(key) is not None for c in gamma_checks):
            m_rows, d_rows = dft_gamma_rows(surface_rows or [], gamma_checks, relaxed=relaxed)
            out += _pair_claims(
                "5a",
                claims_5a({"rows": m_rows}, roles=roles)[:1],
                claims_5a({"rows": d_rows}, roles=roles)[:1],
                settings,
                times,
                mode,
            )
        key = "dft_binding_relaxed_ev" if relaxed else "dft_binding_sp_ev"
        if any(c.get(key) is not None for c in binding_checks):
            m_sum, d_sum = dft_binding_summaries(summaries or [], binding_checks, relaxed=relaxed)
            out += _pair_claims(
                "5c",
                claims_5c({"summaries": m_sum}, roles=roles),
                claims_5c({"summaries": d_sum}, roles=roles),
                settings,
                times,
                mode,
            )
    return out
