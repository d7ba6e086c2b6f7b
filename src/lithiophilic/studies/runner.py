r"""Run studies from saved ``Options``: the process a campaign stage (or a report job) runs.

::

    python -m lithiophilic.studies.runner run [--data-dir D] [--store S] [--results DIR] \\
        STUDY OPTIONS.json [STUDY OPTIONS.json ...]
    python -m lithiophilic.studies.runner paper OPTIONS.json [--data-dir D] [--store S]

``run`` loads each study's ``Options`` from its file (written by
:meth:`~lithiophilic.studies.base.StudyOptions.save`), calls the study's ``run`` and writes
its ``Result`` to ``RESULTS/STUDY.json``. Exit status: 0 when every study completed, 1 when
a flow failed or a study raised, 2 when the input was rejected before any job ran
(:class:`~lithiophilic.errors.ConfigurationError`, nothing stored).

``paper`` runs :func:`lithiophilic.studies.paper.run` for saved
:class:`~lithiophilic.studies.paper.PaperOptions` (every stage, then the report); exit 1 if
a stage failed. This is what the ``paper-report`` job of ``paper --submit slurm`` runs.

Nothing here parses command-line flags of ``lithiophilic``: the settings are the files.
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from lithiophilic.errors import LithiophilicError

if TYPE_CHECKING:
    from jobflow import JobStore

__all__ = ["main", "run_saved"]

logger = logging.getLogger("lithiophilic.studies.runner")  # also when run as __main__

#: Exit status of a study whose input was rejected before any job ran.
EXIT_BAD_INPUT = 2


def run_saved(
    pairs: list[tuple[str, Path]],
    *,
    data_dir: Path | None = None,
    store: JobStore | str | None = None,
    results_dir: Path | None = None,
) -> int:
    """Run each ``(study name, options file)`` in turn; return the exit status.

    Parameters
    ----------
    pairs
        Study name (``surface``, ``pdos``, ``li_sites``, ``li_layers``, ``aggregation``) and
        the JSON/YAML file of its ``Options``.
    data_dir, store
        The job store: a ``JobStore``, or ``--data-dir`` / ``--store`` (opened after the
        first study's input checks).
    results_dir
        Where each ``Result`` is written as ``STUDY.json`` (default: not written).

    Returns
    -------
    int
        0 (all complete), 1 (a flow failed or a study raised) or 2 (input rejected).
    """
    from lithiophilic.db import get_data_dir, get_store
    from lithiophilic.studies import STUDIES

    code = 0
    ddir = get_data_dir(data_dir)
    job_store = None
    for name, path in pairs:
        try:
            study = STUDIES[name]
        except KeyError:
            logger.error("%s is not a study; choose from %s", name, ", ".join(STUDIES))
            code = max(code, EXIT_BAD_INPUT)
            continue
        try:
            options = study.Options.load(path)
            flows = study.build_flows(options)  # input checks before the store is opened
            if job_store is None:
                job_store = (
                    get_store(data_dir=ddir, store=store)
                    if store is None or isinstance(store, str)
                    else store
                )
            result = study.run(options, store=job_store, data_dir=ddir, flows=flows)
        except (LithiophilicError, ValueError) as exc:
            logger.error("%s: %s", name, exc)
            # ConfigurationError is a ValueError: input rejected before any job ran
            code = max(code, EXIT_BAD_INPUT if isinstance(exc, ValueError) else 1)
            continue
        except Exception:
            logger.exception("%s failed", name)
            code = max(code, 1)
            continue
        for label, why in result.failed.items():
            logger.error("%s: %s failed: %s", name, label, why)
        if result.failed:
            code = max(code, 1)
        if results_dir is not None:
            results_dir.mkdir(parents=True, exist_ok=True)
            (results_dir / f"{name}.json").write_text(result.model_dump_json(indent=1))
        logger.info(
            "%s: done (%d missing, %d failed)", name, len(result.missing), len(result.failed)
        )
    return code


def _setup_logging() -> None:
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for name in ("lithiophilic", "jobflow"):
        logging.getLogger(name).setLevel(logging.INFO)
    for category in (UserWarning, FutureWarning, DeprecationWarning):
        warnings.filterwarnings("ignore", category=category)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lithiophilic.studies.runner")
    sub = parser.add_subparsers(dest="mode", required=True)
    run = sub.add_parser("run", help="run studies from saved Options")
    run.add_argument("pairs", nargs="+", metavar="STUDY OPTIONS", help="study name, options file")
    run.add_argument("--results", type=Path, default=None, help="directory of the Results")
    paper = sub.add_parser("paper", help="run the paper campaign from saved PaperOptions")
    paper.add_argument("options", type=Path)
    for p in (run, paper):
        p.add_argument("--data-dir", type=Path, default=None)
        p.add_argument("--store", default=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``python -m lithiophilic.studies.runner run|paper ...``; return the status."""
    args = _parser().parse_args(argv)
    _setup_logging()
    if args.mode == "run":
        if len(args.pairs) % 2:
            logger.error("give pairs of STUDY OPTIONS.json, got %s", args.pairs)
            return EXIT_BAD_INPUT
        it = iter(args.pairs)
        pairs = [(name, Path(path)) for name, path in zip(it, it, strict=True)]
        return run_saved(pairs, data_dir=args.data_dir, store=args.store, results_dir=args.results)
    from lithiophilic.studies import paper

    try:
        options = paper.PaperOptions.load(args.options)
    except LithiophilicError as exc:
        logger.error("%s", exc)
        return EXIT_BAD_INPUT
    report = paper.run(options, store=args.store, data_dir=args.data_dir)
    logger.info("report: %s", report.paths.get("html"))
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
