"""Compare the single-Li site rows (5c) of two or more campaign reports, site by site.

Runs of ``paper`` in fresh databases with the same settings should give the same binding
energy on every site and the same strongest adsorbed site per material (issue 18 item 2:
same label, E_b within 1 meV, with ``OMP_NUM_THREADS`` 1 and 2). This reads
``report/data/li_sites.json`` and ``claims.json`` of each run and writes, against the first
run: the per-site differences (outcome class and E_b vs bcc Li), the largest one, how many
sites are bit for bit equal, the strongest adsorbed site per material of every run, and
whether the verdict rows agree.

    .venv/bin/python bench/compare_site_rows.py RUN_A/report RUN_B/report [RUN_C/report ...] \
        --label A --label B ... --out bench/results/X.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def site_rows(report: Path) -> dict[str, dict]:
    """Site rows of a report, keyed ``material/termination/sqs_seed/site_label``."""
    data = json.loads((report / "data" / "li_sites.json").read_text())
    out = {}
    for row in data["site_rows"]:
        key = "/".join(
            str(row.get(k)) for k in ("material", "termination", "sqs_seed", "site_label")
        )
        out[key] = row
    return out


def strongest_adsorbed(rows: dict[str, dict]) -> dict[str, dict]:
    """Material -> the adsorbed site with the largest E_b vs bcc Li (what 5c compares)."""
    best: dict[str, dict] = {}
    for key, row in rows.items():
        energy = row.get("binding_energy_bcc_ev")
        if row.get("outcome") != "adsorbed" or energy is None:
            continue
        material = row["material"]
        if material not in best or energy > best[material]["binding_energy_bcc_ev"]:
            best[material] = {"site": key, "binding_energy_bcc_ev": energy}
    return dict(sorted(best.items()))


def verdicts(report: Path) -> list[dict]:
    claims = json.loads((report / "claims.json").read_text())["claims"]
    return [{k: c[k] for k in ("panel", "verdict", "ours")} for c in claims]


def compare(ra: dict[str, dict], rb: dict[str, dict]) -> dict:
    """Site-by-site differences of run b against run a."""
    rows = []
    for key in sorted(set(ra) & set(rb)):
        ea, eb = ra[key]["binding_energy_bcc_ev"], rb[key]["binding_energy_bcc_ev"]
        diff = None if ea is None or eb is None else (eb - ea) * 1000.0
        rows.append(
            {
                "site": key,
                "outcome_a": ra[key].get("outcome"),
                "outcome_b": rb[key].get("outcome"),
                "binding_energy_bcc_ev_a": ea,
                "binding_energy_bcc_ev_b": eb,
                "difference_mev": diff,
                "bitwise_equal": ea == eb,
            }
        )
    diffs = [abs(r["difference_mev"]) for r in rows if r["difference_mev"] is not None]
    return {
        "n_sites_compared": len(rows),
        "sites_only_in_one_run": sorted(set(ra) ^ set(rb)),
        "max_abs_difference_mev": max(diffs) if diffs else None,
        "n_bitwise_equal": sum(r["bitwise_equal"] for r in rows),
        "within_1_mev": all(d <= 1.0 for d in diffs),
        "same_outcomes": all(r["outcome_a"] == r["outcome_b"] for r in rows),
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("reports", type=Path, nargs="+", help="two or more report folders")
    parser.add_argument("--label", action="append", default=[], help="one per report")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    if len(args.reports) < 2:
        parser.error("give two or more report folders")
    labels = args.label or [str(r) for r in args.reports]
    if len(labels) != len(args.reports):
        parser.error("give one --label per report (or none)")
    rows = [site_rows(r) for r in args.reports]
    claims = [verdicts(r) for r in args.reports]
    strongest = {label: strongest_adsorbed(r) for label, r in zip(labels, rows, strict=True)}
    first = next(iter(strongest.values()))
    same_strongest = all(
        {m: s["site"] for m, s in other.items()} == {m: s["site"] for m, s in first.items()}
        for other in strongest.values()
    )
    against_first = {
        label: compare(rows[0], r) for label, r in zip(labels[1:], rows[1:], strict=True)
    }
    result = {
        "benchmark": "5c site rows of paper runs in fresh databases, site by site, against the first",
        "command": "bench/compare_site_rows.py "
        + " ".join(f"{r} --label {lab}" for r, lab in zip(args.reports, labels, strict=True))
        + f" --out {args.out}",
        "note": args.note,
        "runs": labels,
        "same_strongest_adsorbed_site": same_strongest,
        "strongest_adsorbed": strongest,
        "max_abs_difference_mev": max(
            (c["max_abs_difference_mev"] or 0.0) for c in against_first.values()
        ),
        "within_1_mev": all(c["within_1_mev"] for c in against_first.values()),
        "bitwise_equal_everywhere": all(
            c["n_bitwise_equal"] == c["n_sites_compared"] and not c["sites_only_in_one_run"]
            for c in against_first.values()
        ),
        "same_verdicts": all(
            [x["verdict"] for x in v] == [x["verdict"] for x in claims[0]] for v in claims[1:]
        ),
        "against_first": against_first,
        "verdicts": dict(zip(labels, claims, strict=True)),
    }
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(result["same_strongest_adsorbed_site"], result["max_abs_difference_mev"])


if __name__ == "__main__":
    main()
