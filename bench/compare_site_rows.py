"""Compare the single-Li site rows (5c) of two campaign reports, site by site.

Two ``paper`` runs in fresh databases with the same settings should give the same binding
energy on every site (issue 18 item 2: within 1 meV). This reads ``report/data/li_sites.json``
of each run and writes the per-site differences (outcome class and E_b vs bcc Li), the
largest one, how many sites are bit for bit equal, and whether the verdict rows agree.

    .venv/bin/python bench/compare_site_rows.py RUN_A/report RUN_B/report --out bench/results/X.json
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


def verdicts(report: Path) -> list[dict]:
    claims = json.loads((report / "claims.json").read_text())["claims"]
    return [{k: c[k] for k in ("panel", "verdict", "ours")} for c in claims]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    ra, rb = site_rows(args.a), site_rows(args.b)
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
    va, vb = verdicts(args.a), verdicts(args.b)
    result = {
        "benchmark": "5c site rows of two paper runs (fresh databases), site by site",
        "command": f"bench/compare_site_rows.py {args.a} {args.b} --out {args.out}",
        "note": args.note,
        "n_sites_compared": len(rows),
        "sites_only_in_one_run": sorted(set(ra) ^ set(rb)),
        "max_abs_difference_mev": max(diffs) if diffs else None,
        "n_bitwise_equal": sum(r["bitwise_equal"] for r in rows),
        "within_1_mev": all(d <= 1.0 for d in diffs),
        "same_verdicts": [x["verdict"] for x in va] == [x["verdict"] for x in vb],
        "rows": rows,
        "verdicts_a": va,
        "verdicts_b": vb,
    }
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(result["max_abs_difference_mev"], result["n_bitwise_equal"], len(rows))


if __name__ == "__main__":
    main()
