"""The paper campaign: every stage of Fig. 5 in turn, tracked in one database, then a report.

Each stage is one ``lithiophilic`` command run in its own process (its flows, its figures,
its ``--json`` numbers), against the campaign's database, so that

* every job is stored and reused: a second campaign recomputes nothing;
* a stage that fails (a missing DFT code, an MD that blows up) is reported and the other
  stages still run;
* wall time and peak memory are measured per stage (``os.wait4``).

The report (:mod:`lithiophilic.analysis.report`) is built from the stages' JSON.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lithiophilic import __version__, defaults
from lithiophilic.errors import ConfigurationError

__all__ = [
    "PAPER_STAGES",
    "PaperCampaign",
    "Stage",
    "StageResult",
    "build_report",
    "load_stage_json",
]

logger = logging.getLogger(__name__)

#: Stage names in the order they run.
PAPER_STAGES = ("surface", "pdos", "binding", "md")

#: GPAW settings of the full campaign's PDOS (Fig. 5b): those of bench/results/pdos.json
#: (~14 min for the three materials on 2 ranks). The pdos command's own defaults (DOS mesh
#: density 8 per Å⁻¹) take hours on the 25-atom SQS; the Zn/Cu DOS(E_F) ratios at these
#: settings (0.72, 0.72) differ from --quick's (0.68, 0.84) by the mesh, not the physics.
PAPER_PDOS_SETTINGS = (
    "--ecut",
    "300",
    "--kpt-density",
    "2.5",
    "--dos-kpt-density",
    "4.0",
    "--width",
    "0.2",
)


@dataclass
class Stage:
    """One campaign stage: a ``lithiophilic`` command and the panels it draws."""

    name: str
    panels: tuple[str, ...]
    args: list[str]

    def command(self) -> list[str]:
        """Return the full command (this interpreter, ``-m lithiophilic``)."""
        return [sys.executable, "-m", "lithiophilic", *self.args]


@dataclass
class StageResult:
    """Outcome of one stage."""

    name: str
    panels: tuple[str, ...]
    status: str
    returncode: int
    wall_s: float
    peak_rss_mib: float
    command: str
    log: str
    json_file: str | None

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        return {**self.__dict__, "panels": list(self.panels)}


@dataclass
class PaperCampaign:
    """Settings of the Fig. 5 campaign.

    Parameters
    ----------
    out_dir
        Report directory (``report.md``, ``report.html``, ``figures/``, ``data/``, ``logs/``).
    quick
        Small sizes, few samples, short MD: every stage runs, in minutes (values are not
        converged and the report says so).
    calculator
        Calculator for energies (surface energies, Li binding).
    dft
        DFT calculator for the PDOS.
    md_potential
        LAMMPS potential for the aggregation MD.
    nprocs
        MPI ranks of the DFT (PDOS) runs and of each full-campaign MD run; default
        ``$SLURM_NTASKS``, else every core of this machine (GPAW parallelises over k-points:
        1.8x on 2 cores for Cu5Zn8; LAMMPS over space: the 100 ps aggregation MD of both
        surfaces in 454 s on 2 ranks vs 680 s on one). The quick MD (10x10x3 slabs, 5 ps)
        runs on one rank.
    data_dir, store
        Campaign database (``--data-dir``/``--store`` of every command).
    stages
        Stages to run (default all of :data:`PAPER_STAGES`).
    materials
        Materials of every stage (default: each command's own, i.e. Cu, Cu5Zn8 and
        Cu0.64Zn0.36; the MD: Cu and Cu0.64Zn0.36).
    """

    out_dir: Path
    quick: bool = False
    calculator: str = "sevenn"
    dft: str = "gpaw"
    md_potential: str = defaults.MD_POTENTIAL
    nprocs: int | None = None
    data_dir: Path | None = None
    store: str | None = None
    stages: Sequence[str] = field(default_factory=lambda: list(PAPER_STAGES))
    materials: Sequence[str] = ()

    def __post_init__(self) -> None:
        bad = sorted(set(self.stages) - set(PAPER_STAGES))
        if bad:
            msg = f"stages: {bad} not among {list(PAPER_STAGES)}"
            raise ConfigurationError(msg)
        if self.nprocs is not None and self.nprocs < 1:
            msg = f"nprocs: {self.nprocs} must be >= 1 (MPI ranks of the DFT runs)"
            raise ConfigurationError(msg)
        self.out_dir = Path(self.out_dir)

    @property
    def dft_nprocs(self) -> int:
        """MPI ranks of the DFT runs: ``nprocs``, else ``$SLURM_NTASKS``, else all cores."""
        from lithiophilic.potentials.dft.gpaw import default_nprocs

        if self.nprocs is not None:
            return self.nprocs
        return default_nprocs(fallback=os.cpu_count() or 1)

    @property
    def figures_dir(self) -> Path:
        """Directory of the panels' PNGs."""
        return self.out_dir / "figures"

    def _common(self) -> list[str]:
        args: list[str] = []
        if self.data_dir is not None:
            args += ["--data-dir", str(self.data_dir)]
        if self.store is not None:
            args += ["--store", self.store]
        return args

    def stage_list(self) -> list[Stage]:
        """Return the stages to run, with their commands."""
        data = self.out_dir / "data"
        figs = str(self.figures_dir)
        q = ["--quick"] if self.quick else []
        every = {
            "surface": Stage(
                "surface",
                ("5a",),
                [
                    "surface-energy",
                    "--calculator",
                    self.calculator,
                    "--json",
                    str(data / "surface.json"),
                    "--out",
                    figs,
                    *q,
                ],
            ),
            "pdos": Stage(
                "pdos",
                ("5b",),
                [
                    "pdos",
                    "--calculator",
                    self.dft,
                    "--json",
                    str(data / "pdos.json"),
                    "--out",
                    figs,
                    "--nprocs",
                    str(self.dft_nprocs),
                    # only 1-atom cells are relaxed with GPAW; the 25/26-atom alloy cells keep
                    # their input lattice (stated in the PDOS output)
                    "--relax-max-atoms",
                    "1",
                    *(["--quick"] if self.quick else PAPER_PDOS_SETTINGS),
                ],
            ),
            "binding": Stage(
                "binding",
                ("5c", "5d", "5e"),
                [
                    "binding",
                    "--calculator",
                    self.calculator,
                    "--layers",
                    "2" if self.quick else "5",
                    "--json",
                    str(data / "binding.json"),
                    "--out",
                    figs,
                    *(["--quick", "--max-sites", "2"] if self.quick else []),
                ],
            ),
            "md": Stage(
                "md",
                ("5f", "5g"),
                [
                    "md-aggregation",
                    "--material",
                    "Cu",
                    "--material",
                    "Cu0.64Zn0.36",
                    "--potential",
                    self.md_potential,
                    # one cutoff for every surface: rates at per-surface RDF cutoffs differ by
                    # construction (defaults.MD_COMPARISON_CUTOFF_A)
                    "--cutoff",
                    str(defaults.MD_COMPARISON_CUTOFF_A),
                    "--json",
                    str(data / "md.json"),
                    "--out",
                    figs,
                    *(q or ["--n-mpi", str(self.dft_nprocs)]),
                ],
            ),
        }
        for st in every.values():
            if self.materials:
                if st.name == "md":  # replace the MD's default pair of surfaces
                    for m in ("Cu", "Cu0.64Zn0.36"):
                        i = st.args.index(m)
                        del st.args[i - 1 : i + 1]
                for m in self.materials:
                    st.args += ["--material", m]
            st.args += self._common()
        return [every[name] for name in PAPER_STAGES if name in self.stages]

    def run_stage(self, stage: Stage) -> StageResult:
        """Run one stage in a child process; never raises for a failed stage."""
        logs = self.out_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        (self.out_dir / "data").mkdir(parents=True, exist_ok=True)
        self.figures_dir.mkdir(parents=True, exist_ok=True)
        log = logs / f"{stage.name}.log"
        cmd = stage.command()
        json_file = next(
            (stage.args[i + 1] for i, a in enumerate(stage.args) if a == "--json"), None
        )
        if json_file:
            Path(json_file).unlink(missing_ok=True)  # never report a previous run's numbers
        t0 = time.perf_counter()
        with open(log, "w") as fh:
            proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, text=True)
            _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        code = os.waitstatus_to_exitcode(status)
        ok_json = bool(json_file and Path(json_file).is_file())
        if code == 0:
            state = "ok"
        elif code == 1 and ok_json:
            state = "partly failed (exit 1; see log)"
        else:
            state = f"failed (exit {code}; see log)"
        return StageResult(
            name=stage.name,
            panels=stage.panels,
            status=state,
            returncode=code,
            wall_s=round(wall, 1),
            peak_rss_mib=round(usage.ru_maxrss / 1024, 1),
            command=shlex.join(["lithiophilic", *stage.args]),
            log=str(log),
            json_file=json_file if ok_json else None,
        )

    def run(self, on_stage: Callable[[StageResult], None] | None = None) -> list[StageResult]:
        """Run every stage in turn; return their results."""
        results = []
        for stage in self.stage_list():
            logger.info("stage %s: %s", stage.name, shlex.join(stage.args))
            res = self.run_stage(stage)
            results.append(res)
            if on_stage is not None:
                on_stage(res)
        return results


def load_stage_json(results: Sequence[StageResult]) -> dict[str, dict[str, Any] | None]:
    """Stage name -> the JSON it wrote (``None`` if it wrote none)."""
    out: dict[str, dict[str, Any] | None] = {}
    for r in results:
        out[r.name] = json.loads(Path(r.json_file).read_text()) if r.json_file else None
    return out


def _figures(fig_dir: Path, out_dir: Path) -> dict[str, str]:
    """Panel -> figure path relative to the report directory (``fig5X_*.png``)."""
    figs: dict[str, str] = {}
    for panel in ("5a", "5b", "5c", "5d", "5e", "5f", "5g"):
        found = sorted(fig_dir.glob(f"fig{panel}_*.png"))
        if found:
            figs[panel] = str(found[0].relative_to(out_dir))
    return figs


def build_report(
    campaign: PaperCampaign, results: Sequence[StageResult], settings: dict[str, Any]
) -> dict[str, Path]:
    """Write the report (Markdown, HTML, claims JSON) for a finished campaign."""
    from lithiophilic.analysis.binding import BINDING_DEFINITION
    from lithiophilic.analysis.report import (
        evaluate_claims,
        panel_tables,
        render_markdown,
        write_report,
    )
    from lithiophilic.analysis.surface import GAMMA_DEFINITION

    stages = load_stage_json(results)
    claims = evaluate_claims(stages)
    definitions = {"surface energy": GAMMA_DEFINITION, "Li binding": BINDING_DEFINITION}
    for name, data in stages.items():
        if data and isinstance(data.get("definition"), str) and name not in ("surface", "binding"):
            definitions[name] = data["definition"]
        if data and isinstance(data.get("rate_definition"), str):
            definitions["aggregation rate"] = data["rate_definition"]
    settings = {
        "lithiophilic": __version__,
        "quick": campaign.quick
        and (
            "yes: thin slabs, fmax 0.1 eV/Å, few sites, 2 Li layers (8 %-strained on γ-brass), "
            "small DFT meshes, short MD; numbers are not converged"
        ),
        **settings,
    }
    text = render_markdown(
        claims,
        _figures(campaign.figures_dir, campaign.out_dir),
        [r.as_dict() for r in results],
        settings,
        definitions,
        panel_tables(stages),
    )
    return write_report(
        campaign.out_dir,
        text,
        claims,
        {"stages": [r.as_dict() for r in results], "settings": settings},
    )
