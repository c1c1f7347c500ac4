"""The first-sight model in words, for the Lookup and Model pages (from the typed report's `first_sight`).

    first_sight_sentences(parse_report(metrics))     # its validated verdict, precision and PR-AUC, in words
    scored_with_note(answer["scored_with"], report)   # which model scored a lookup, and how far to trust it

Pure: no queries, no model. A version stored without a first-sight model (or a lookup answered before there was
one) says that the main model scored it with the track's own history blanked.
"""

from __future__ import annotations

from typing import Any

from dashboard.model_figures import signal_words

HOW = {"win": "beat", "tie": "was not clearly better than", "loss": "did worse than"}
BLANKED_NOTE = (
    "Scored by the main model given only what is known before the track has a history of its own (the artist's"
    " level and prior success, genre, release timing, duration, audio where present); its own metrics count as"
    " missing. This model version has no separately trained first-sight model: retrain to get one."
)
UNVALIDATED_NOTE = (
    "How often a score like this comes true for a track with no history was never measured for this model, so"
    " the percentage has no interval: read it as a rough rank (higher is more promising), not as odds."
)


def first_sight_sentences(report: Any) -> list[str]:
    """Its verdict against the best first-sight baseline with the 95% interval, its precision at k and PR-AUC."""
    section = getattr(report, "first_sight", None) if report is not None else None
    if section is None:
        return ["This model version has no first-sight model (trained before it existed): retrain to get one."]
    if section.skipped or section.forward is None or "pr_auc" not in section.ci:
        return [f"No first-sight model was trained with this version: {section.skipped or 'no report'}."]
    ci, forward = section.ci["pr_auc"], section.forward
    against = signal_words(ci.against, "level")
    hits = f", over {section.positives.tracks} hit tracks" if section.positives else ""
    lines = [
        f"Tested forward in time on tracks it had not seen, the first-sight model {HOW[ci.verdict]} {against}:"
        f" PR-AUC {_num(forward.pr_auc)} against {_num(ci.b)}, a difference of {_signed(ci.diff)}"
        f" (95% interval {_signed(ci.lo)} to {_signed(ci.hi)}){hits}."
    ]
    if forward.precision_at_k is not None and forward.k:
        lines.append(
            f"Of its top {forward.k} tracks on a date, {forward.precision_at_k * 100:.0f}% became hits within the"
            f" horizon (the best possible was {_num_pct(forward.oracle_at_k)})."
        )
    return lines


def scored_with_note(scored_with: str | None, report: Any) -> list[str]:
    """What scored a lookup, then (for the first-sight model) how it did when validated."""
    if scored_with == "first_sight":
        return [
            "Scored by the first-sight model, trained with the active model on what is known before a track has"
            " a history of its own (the artist's level and prior success, genre, release timing, duration, audio"
            " where present).",
            *first_sight_sentences(report),
        ]
    return [BLANKED_NOTE, UNVALIDATED_NOTE]


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _signed(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f}"


def _num_pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"
