"""Names for the demo market's artists and tracks, drawn from seeded generators with numpy (no per-name loop).

    artist_names(seed=42, n=1_000_000)    # 'Kalomi', 'Zeno Rita', ...: 2-3 syllables, half with a second word
    track_names_of(track_name_words(rng, n=5_000_000))   # 'Neon River', ...: two words, the caller's generator

A name depends only on the seed and its position, so every run of the demo names the market the same way.
(Artist names changed once when the naming was vectorised: the draws are made in a different order.)
"""

from __future__ import annotations

import numpy as np

_SYLLABLES = ["ka", "lo", "mi", "ra", "ze", "no", "vi", "ta", "lu", "sa", "de", "yo", "ri", "ma", "el", "xo"]
_WORDS = ["Night", "Gold", "Fever", "Echo", "River", "Neon", "Heart", "Summer", "Ghost", "Fire", "Blue",
          "Paper", "Wild", "Glass", "Velvet", "Storm", "Honey", "Static", "Moon", "Signal"]  # fmt: skip


def _word(rng: np.random.Generator, n: int, lengths: np.ndarray) -> np.ndarray:
    """`n` capitalised words of `lengths` (2 or 3) syllables each."""
    lower, title = np.array(_SYLLABLES), np.array([s.capitalize() for s in _SYLLABLES])
    picks = rng.integers(0, len(_SYLLABLES), (n, 3))
    word = np.strings.add(title[picks[:, 0]], lower[picks[:, 1]])
    return np.strings.add(word, np.where(lengths == 3, lower[picks[:, 2]], ""))


def artist_names(*, seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng([seed, 1])
    first = _word(rng, n, rng.integers(2, 4, n))
    second = _word(rng, n, np.full(n, 2))
    with_second = rng.random(n) >= 0.5
    return np.where(with_second, np.strings.add(np.strings.add(first, " "), second), first).astype(object)


def track_name_words(rng: np.random.Generator, n: int) -> np.ndarray:
    """The (n x 2) word numbers of `n` track names, drawn from the tracks frame's own generator (its first draw,
    as it always was): drawn for every track at once, named a batch at a time (`track_names_of`)."""
    return rng.integers(0, len(_WORDS), (n, 2))


def track_names_of(words: np.ndarray) -> np.ndarray:
    return np.strings.add(np.strings.add(np.array(_WORDS)[words[:, 0]], " "), np.array(_WORDS)[words[:, 1]])
