"""Champion/challenger, as a pure decision on one validation report (the candidate, the baselines and the
active model all scored on the same rolling origins).

    decision = decide(report, has_active=True)

A candidate is promoted only when the lower bound of its PR-AUC interval is above zero against the best
baseline AND against the active model. With no active model the first valid version becomes active, but
when it does not beat the baselines its report's champion is a baseline, and the published list is ranked
by that baseline (`jobs.score`), so the list is never worse than sorting by the signal that won.

A candidate trained on another hit definition than the active model's (`decide(..., active_hit="...")`, after
HIT_* settings changed) answers another question: its PR-AUC cannot be set against the active model's, so it is
not compared with it. It replaces the active model only when it beats the best baseline on its own label (the
same bar, minus the comparison that has no meaning); otherwise the active model, and its definition, stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Decision:
    promote: bool
    note: str


def _interval(ci: dict[str, Any] | None) -> str:
    if not ci or ci.get("diff") is None:
        return "no interval"
    return f"{ci['diff']:+.3f} PR-AUC (95% interval {ci['lo']:+.3f} to {ci['hi']:+.3f})"


def decide(report: dict[str, Any], *, has_active: bool, active_hit: str | None = None) -> Decision:
    """`report`: the candidate's validation report; `report["active"]["ci"]` is its paired difference to the
    active model on the same origins (absent when the active model predicts another label). `active_hit`: the
    active model's hit rule when it differs from the candidate's (then the two are not compared)."""
    vs_base = (report.get("ci") or {}).get("pr_auc") or {}
    champion = report.get("champion") or {}
    if has_active and active_hit is not None:
        other = f"the active model predicts another label ({active_hit}): not compared with it"
        if vs_base.get("lo") is None or vs_base["lo"] <= 0:
            return Decision(False, f"{other}; does not beat {vs_base.get('against')} ({_interval(vs_base)}),"
                                   " so the active model and its hit definition stay")  # fmt: skip
        return Decision(True, f"{other}; beats {vs_base.get('against')} on its own label ({_interval(vs_base)})")
    if not has_active:
        if champion.get("kind") == "baseline":
            return Decision(True, f"no active model: this version becomes active, but it does not beat"
                                  f" {vs_base.get('against')} ({_interval(vs_base)}), so the list is ranked by"
                                  f" {champion.get('name')}")  # fmt: skip
        return Decision(True, f"no active model: this version becomes active; vs {vs_base.get('against')}:"
                              f" {_interval(vs_base)}")  # fmt: skip
    vs_active = (report.get("active") or {}).get("ci")
    base_lo, active_lo = vs_base.get("lo"), (vs_active or {}).get("lo")
    if base_lo is None or base_lo <= 0:
        return Decision(False, f"does not beat the best baseline {vs_base.get('against')}: {_interval(vs_base)}")
    if vs_active is None:
        return Decision(False, "the active model predicts another label: not compared, not promoted")
    if active_lo is None or active_lo <= 0:
        return Decision(False, f"does not beat the active model: {_interval(vs_active)}")
    return Decision(True, f"beats {vs_base.get('against')} ({_interval(vs_base)}) and the active model"
                          f" ({_interval(vs_active)})")  # fmt: skip
