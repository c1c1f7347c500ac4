"""Markdown results table from `python -m jobs evaluate` reports (the table in docs/model.md).

    python scripts/eval_table.py artifacts/eval/*.json > artifacts/eval/table.md
    python scripts/eval_table.py --summary artifacts/eval/*.json    # one line per file

Columns: PR-AUC as the mean over the forward folds, then every metric on the holdout fold (the last one,
which hyperparameter tuning never saw), for the model, each baseline, and the leaky random split.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

BASELINES = ("prevalence", "logistic", "current_level", "artist_prior_success", "momentum")
HEADER = (
    "| data | label | n_train / n_test | prevalence | protocol | PR-AUC folds mean | PR-AUC holdout"
    " | ROC-AUC holdout | P@k holdout | Brier holdout |\n|---|---|---|---|---|---|---|---|---|---|"
)


def _f(metrics: dict, key: str) -> str:
    value = metrics.get(key)
    return "n/a" if value is None else f"{value:.3f}"


def _rows(report: dict) -> list[tuple[str, dict, dict]]:
    rows = [("**model, forward**", report["forward"], report["holdout"])]
    for base in BASELINES:
        metrics = report["baselines"].get(base, {})
        if metrics and "skipped" not in metrics:
            rows.append((f"baseline: {base}", metrics, metrics["holdout"]))
    split = report["random_split"]
    rows.append(("model, random split (leaky)", {}, split))
    return rows


def table(paths: list[Path]) -> str:
    lines = [HEADER]
    for path in paths:
        report = json.loads(path.read_text())
        label = f"{report['label']['hit']} ({report['label']['mode']}"
        label += f", {report['label']['horizon_days']} d)" if report["label"]["mode"] == "history" else ")"
        for i, (protocol, mean, holdout) in enumerate(_rows(report)):
            head = "| | | | "
            if i == 0:
                sizes = f"{report['n_train']} / {report['n_test']}"
                head = f"| {path.stem} | {label} | {sizes} | {report['prevalence']:.3f} "
            cells = [_f(mean, "pr_auc") if mean else "", *(_f(holdout, k) for k in ("pr_auc", "roc_auc"))]
            cells += [_f(holdout, "precision_at_k"), _f(holdout, "brier")]
            lines.append(head + f"| {protocol} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def summary(paths: list[Path]) -> str:
    """Holdout PR-AUC: the model, the best baseline, the leaky random split, and whether the model won."""
    lines = [
        "| data | n_train / n_test | prevalence | model | best baseline | current_level | logistic"
        " | random split (leaky) | model beats every baseline |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for path in paths:
        report = json.loads(path.read_text())
        model = report["holdout"]["pr_auc"]
        bases = {n: m["holdout"]["pr_auc"] for n, m in report["baselines"].items() if "skipped" not in m}
        best = max(bases, key=lambda n: bases[n])
        level = f"{bases['current_level']:.3f}" if "current_level" in bases else "n/a"
        lines.append(
            f"| {path.stem} | {report['n_train']} / {report['n_test']} | {report['prevalence']:.3f} | {model:.3f}"
            f" | {bases[best]:.3f} ({best}) | {level} | {bases['logistic']:.3f}"
            f" | {report['random_split']['pr_auc']:.3f} | {'yes' if model > bases[best] else '**no**'} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if sys.argv[1:2] == ["--summary"]:
        sys.stdout.write(summary([Path(p) for p in sys.argv[2:]]))
    else:
        sys.stdout.write(table([Path(p) for p in sys.argv[1:]]))
