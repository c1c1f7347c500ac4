"""Training with the default time budget: `python -m jobs train` as the product runs it (Optuna, seeded TPE,
median pruning, `TRAIN_TIME_BUDGET` seconds or `OPTUNA_TRIALS` trials, whichever ends first) on the default
demo market (3,000 artists, ~14k tracks) with `MODEL_TRAIN_DAYS` of history. Reports the stage times, the
trials done, and the best forward PR-AUC (the tuning fold's average precision) against trials and time, so the
budget's diminishing returns are visible.

    python -m bench training [--quick]        # --quick: 200 days, 3 trials, 20 s
"""

from __future__ import annotations

import time
from typing import Any

from bench.harness import Options, PeakRSS, Report
from bench.world import TRAIN_ARTISTS, train_in_world
from core.settings import Settings


def best_so_far(trials: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For each finished trial in order: the best value reached so far (pruned trials keep the previous best)."""
    curve, best = [], None
    for trial in sorted(trials, key=lambda t: t["number"]):
        if trial["state"] == "COMPLETE" and trial["value"] is not None:
            best = trial["value"] if best is None else max(best, trial["value"])
        curve.append({"trial": trial["number"] + 1, "finished_s": trial["finished_s"], "state": trial["state"],
                      "value": trial["value"], "best": best})  # fmt: skip
    return curve


def run(options: Options) -> Report:
    defaults = Settings(APP_ENV="test")
    days = 200 if options.quick else defaults.MODEL_TRAIN_DAYS
    trials, budget = (3, 20) if options.quick else (None, None)
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
        "best_tuning_pr_auc": final, "curve": curve, "stages": stages,
        "forward_mean": forward, "holdout": holdout, "promoted": outcome.promoted,
        "wall_seconds_with_history_load": round(wall, 1), "peak_rss_bytes": memory.peak,
    }  # fmt: skip
    for point in curve:
        print(
            f"    trial {point['trial']:3d} at {point['finished_s'] or 0:6.1f}s  {point['state']:8s} "
            f"value {point['value'] if point['value'] is not None else float('nan'):.4f}  best {point['best']}"
        )
    report.row(
        "training: trials done in the budget",
        f"{len(curve)} ({report.figures['trials_pruned']} pruned) in {report.figures['time_budget_s']} s",
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
