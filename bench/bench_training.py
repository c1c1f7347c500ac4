"""Training with the demo's default budget: `python -m jobs train` as `make demo` runs it (Optuna, seeded TPE,
median pruning, `DEMO_TRAIN_BUDGET` seconds, 60 unless scripts/demo.sh says otherwise, or `OPTUNA_TRIALS`
trials, whichever ends first) on the default demo market (3,000 artists, ~14k tracks) with `MODEL_TRAIN_DAYS`
of history. Reports the stage times, the trials done and pruned, and the best selection PR-AUC against trial
number and time (a text table on stdout and in the JSON's `curve_table`; a PNG only if kaleido is installed), so
the budget's diminishing returns are visible. Target: at least 40 trials in the budget (issue 12).

    python -m bench training [--quick]        # --quick: 200 days, 3 trials, 20 s
"""

from __future__ import annotations

import importlib.util
import re
import time
from pathlib import Path
from typing import Any

from bench.harness import RESULTS_DIR, ROOT, Options, PeakRSS, Report, verdict
from bench.world import TRAIN_ARTISTS, train_in_world
from core.settings import Settings

TARGET_TRIALS = 40


def demo_budget(script: Path = ROOT / "scripts" / "demo.sh") -> int:
    """The training budget `make demo` passes (`--time-budget "${DEMO_TRAIN_BUDGET:-60}"` in scripts/demo.sh)."""
    found = re.search(r"DEMO_TRAIN_BUDGET:-(\d+)", script.read_text())
    return int(found.group(1)) if found else 60


def best_so_far(trials: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For each finished trial in order: the best value reached so far (pruned trials keep the previous best)."""
    curve, best = [], None
    for trial in sorted(trials, key=lambda t: t["number"]):
        if trial["state"] == "COMPLETE" and trial["value"] is not None:
            best = trial["value"] if best is None else max(best, trial["value"])
        curve.append({"trial": trial["number"] + 1, "finished_s": trial["finished_s"], "state": trial["state"],
                      "value": trial["value"], "best": best})  # fmt: skip
    return curve


def curve_table(curve: list[dict[str, Any]], width: int = 30) -> list[str]:
    """The best score against trial number as text: one line per trial, a bar from the first best to the last."""
    bests = [p["best"] for p in curve if p["best"] is not None]
    low, high = (min(bests), max(bests)) if bests else (0.0, 0.0)
    lines = [f"{'trial':>5} {'done at':>8} {'state':8} {'value':>7} {'best':>7}  best (bar: {low:.3f} to {high:.3f})"]
    for p in curve:
        value = f"{p['value']:.4f}" if p["value"] is not None else "-"
        best = f"{p['best']:.4f}" if p["best"] is not None else "-"
        share = 0.0 if p["best"] is None or high == low else (p["best"] - low) / (high - low)
        bar = "#" * (1 + round(share * (width - 1))) if p["best"] is not None else ""
        lines.append(f"{p['trial']:5d} {p['finished_s'] or 0:7.1f}s {p['state']:8s} {value:>7} {best:>7}  {bar}")
    return lines


def curve_png(curve: list[dict[str, Any]], path: Path) -> Path | None:
    """A PNG of the best score against trials via plotly, only when kaleido is installed (it is not pinned)."""
    if importlib.util.find_spec("kaleido") is None:
        return None
    import plotly.graph_objects as go

    figure = go.Figure(go.Scatter(x=[p["trial"] for p in curve], y=[p["best"] for p in curve], mode="lines+markers"))
    figure.update_layout(xaxis_title="trial", yaxis_title="best selection PR-AUC so far")
    figure.write_image(path)
    return path


def run(options: Options) -> Report:
    defaults = Settings(APP_ENV="test")
    days = 200 if options.quick else defaults.MODEL_TRAIN_DAYS
    trials, budget = (3, 20) if options.quick else (None, demo_budget())
    report = Report()
    started = time.perf_counter()
    with PeakRSS() as memory:
        trained = train_in_world(days=days, trials=trials, time_budget=budget)
    wall = time.perf_counter() - started
    outcome = trained.outcome
    curve = best_so_far(trained.study)
    final = curve[-1]["best"] if curve else None
    holdout = outcome.report.get("holdout", {})
    forward = outcome.report.get("forward", {})
    stages = trained.stages
    report.figures = {
        "market_artists": TRAIN_ARTISTS, "history_days": days,
        "trials_cap": trials or defaults.OPTUNA_TRIALS, "time_budget_s": budget or defaults.TRAIN_TIME_BUDGET,
        "trials_done": len(curve), "trials_pruned": sum(t["state"] == "PRUNED" for t in curve),
        "pruned_at_round": outcome.report.get("tuning", {}).get("pruned_at_round"),
        "best_tuning_pr_auc": final, "curve": curve, "curve_table": curve_table(curve), "stages": stages,
        "forward_mean": forward, "holdout": holdout, "promoted": outcome.promoted,
        "wall_seconds_with_history_load": round(wall, 1), "peak_rss_bytes": memory.peak,
    }  # fmt: skip
    for line in report.figures["curve_table"]:
        print("    " + line)
    png = curve_png(curve, RESULTS_DIR / "training_curve.png") if curve else None
    report.figures["curve_png"] = str(png) if png else "kaleido not installed: text table only"
    report.row(
        "training: trials done in the budget",
        f"{len(curve)} ({report.figures['trials_pruned']} pruned) in {report.figures['time_budget_s']} s",
        f">= {TARGET_TRIALS}",
        verdict(len(curve), TARGET_TRIALS, higher_is_better=True),
    )
    report.row("training: best tuning-fold PR-AUC", f"{final:.4f}" if final is not None else "n/a")
    for share in (0.25, 0.5):
        point = curve[max(int(len(curve) * share) - 1, 0)] if curve else None
        if point and point["best"] is not None:
            report.row(f"training: best PR-AUC after {share:.0%} of the trials", f"{point['best']:.4f}")
    if holdout:
        pr_auc = holdout.get("pr_auc", float("nan"))
        report.row("training: holdout PR-AUC (forward, grouped by artist)", f"{pr_auc:.4f}")
    report.row("training: stage seconds", ", ".join(f"{k} {v:.1f}" for k, v in stages.items()))
    return report
