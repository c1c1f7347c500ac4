"""Markdown results tables from `python -m jobs evaluate` reports (the README's model results).

    python scripts/eval_table.py docs/reports/*.json                  # print the tables
    python scripts/eval_table.py --readme README.md docs/reports/*.json   # rewrite them inside the README

The README holds the tables between `<!-- eval-table:start -->` and `<!-- eval-table:end -->`. One row per
report (pooled over its series), then one row per series. PR-AUC is the mean over the evaluation origins; the
difference to the best baseline has its 95% interval clustered by track; the verdict comes from the interval.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

START, END = "<!-- eval-table:start -->", "<!-- eval-table:end -->"


def _f(value: Any, signed: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.3f}" if signed else f"{value:.3f}"


def _interval(ci: dict[str, Any]) -> str:
    return f"{_f(ci.get('diff'), True)} [{_f(ci.get('lo'), True)}, {_f(ci.get('hi'), True)}]"


def pooled_table(reports: list[tuple[str, dict[str, Any]]]) -> str:
    lines = [
        "| run | series | origins | hit tracks | model PR-AUC | best baseline | model − baseline [95% CI]"
        " | verdict | champion (ranks the list) | P@k model / baseline / oracle | ECE | random split (leaky) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in reports:
        ci = r["ci"]["pr_auc"]
        base = r["baselines"].get(ci["against"] or "", {})
        k = r["forward"].get("k")
        p_at_k = f"P@{k} {_f(r['forward'].get('precision_at_k'))} / {_f(base.get('precision_at_k'))}"
        p_at_k += f" / {_f(r['forward'].get('oracle_at_k'))}"
        lines.append(
            f"| {name} | {len(r['per_series']) or 1} | {r['protocol']['n_origins']} | {r['positives']['tracks']}"
            f" | {_f(r['forward']['pr_auc'])} | {ci['against']} {_f(ci.get('b'))} | {_interval(ci)}"
            f" | **{r['verdict']}** | {r['champion']['name']} | {p_at_k} | {_f(r['calibration']['ece'])}"
            f" | {_f(r['random_split']['pr_auc'])} |"
        )
    return "\n".join(lines) + "\n"


def series_table(reports: list[tuple[str, dict[str, Any]]]) -> str:
    lines = [
        "| run | series | hit tracks | model PR-AUC | its best baseline | model − baseline [95% CI] | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in reports:
        for series, s in sorted(r["per_series"].items()):
            ci = s["ci"]
            lines.append(
                f"| {name} | {series} | {s['positives']['tracks']} | {_f(s['forward'].get('pr_auc'))}"
                f" | {ci['against']} {_f(ci.get('b'))} | {_interval(ci)} | {s['verdict']} |"
            )
    return "\n".join(lines) + "\n"


def tables(paths: list[Path]) -> str:
    reports = [(p.stem, json.loads(p.read_text())) for p in sorted(paths)]
    return f"{pooled_table(reports)}\nPer series (each against its own best baseline):\n\n{series_table(reports)}"


def rewrite_readme(readme: Path, text: str) -> None:
    content = readme.read_text()
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    if not pattern.search(content):
        raise SystemExit(f"{readme} has no {START} ... {END} block")
    readme.write_text(pattern.sub(lambda _: f"{START}\n{text}{END}", content))


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--readme"]:
        rewrite_readme(Path(args[1]), tables([Path(p) for p in args[2:]]))
    else:
        sys.stdout.write(tables([Path(p) for p in args]))
