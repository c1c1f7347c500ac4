"""Sound: micro-genres (KMeans on standardised audio features, k chosen by silhouette), their descriptions,
outliers, a 2-D PCA map, and each track's nearest tracks in audio space (pure: arrays in, frames out).

k is the value in `k_range` with the best silhouette, each candidate fitted and scored on the same seeded sample
(at most `SELECT_SAMPLE` rows, so choosing k stays cheap at 100k tracks); the chosen k is then fitted on all rows.
An outlier is a track farther from its centroid than `OUTLIER_QUANTILE` of all tracks are from theirs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sklearn
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score
from sklearn.neighbors import NearestNeighbors

SOUND_FEATURES = [
    "danceability", "energy", "loudness", "speechiness", "acousticness", "instrumentalness", "liveness",
    "valence", "tempo",
]  # fmt: skip
SELECT_SAMPLE = 2000
OUTLIER_QUANTILE = 0.99


@dataclass
class MicroGenres:
    labels: np.ndarray
    k: int
    silhouette: float
    silhouettes: dict[int, float]
    centroids: np.ndarray  # in standardised units
    distance: np.ndarray  # each row's distance to its centroid
    is_outlier: np.ndarray


def standardise(values: np.ndarray) -> np.ndarray:
    """Z-scores per column (a constant column becomes 0); missing values become the column mean (0)."""
    return in_space(values, *space_of(values))


def space_of(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean, spread) per column, missing values left out: the space `standardise` measures in. (numpy's sums
    depend on the array's layout in the last bits: the discover stage's arrays are column-major, pandas's.)"""
    return np.nanmean(values, axis=0), np.nanstd(values, axis=0)


def in_space(values: np.ndarray, mean: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """`values` in the units of (mean, spread): z-scores, a constant column 0, a missing value the mean (0)."""
    z = np.subtract(values, mean, order="C")  # row-major whatever the input's layout (pandas gives column-major):
    z /= np.where(spread > 0, spread, 1.0)  # what the neighbour searches and KMeans read without a copy
    return np.nan_to_num(z, copy=False)


def micro_genres(z: np.ndarray, k_range: tuple[int, int], *, seed: int = 0) -> MicroGenres:
    """KMeans with the k in `k_range` (inclusive) of best silhouette on a seeded sample, then fitted on all."""
    rng = np.random.default_rng(seed)
    sample = z[rng.choice(len(z), size=min(len(z), SELECT_SAMPLE), replace=False)]
    low, high = max(2, k_range[0]), min(k_range[1], len(sample) - 1)
    if high < low:
        raise ValueError(f"{len(z)} tracks are too few for micro-genres (k from {k_range[0]})")
    silhouettes: dict[int, float] = {}
    for k in range(low, high + 1):
        labels = KMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(sample)
        silhouettes[k] = float(silhouette_score(sample, labels)) if len(set(labels)) > 1 else -1.0
    best = max(silhouettes, key=lambda k: (silhouettes[k], -k))
    fitted = KMeans(n_clusters=best, n_init=3, random_state=seed).fit(z)
    labels = fitted.labels_.astype(int)
    distance = np.linalg.norm(z - fitted.cluster_centers_[labels], axis=1)
    cut = float(np.quantile(distance, OUTLIER_QUANTILE))
    return MicroGenres(labels, best, silhouettes[best], silhouettes, fitted.cluster_centers_, distance, distance > cut)


def describe_clusters(
    centroids: np.ndarray, features: list[str], labels: np.ndarray, genres: pd.Series, *, top: int = 2
) -> pd.DataFrame:
    """(cluster, label, description, top_genres): what sets each cluster's sound apart (the centroid's largest
    standardised deviations, 'high energy, low acousticness') and its three most common genres with shares."""
    rows = []
    for cluster, centre in enumerate(centroids):
        order = np.argsort(-np.abs(centre), kind="stable")[:top]
        words = [f"{'high' if centre[i] > 0 else 'low'} {features[i]}" for i in order if abs(centre[i]) >= 0.25]
        description = ", ".join(words) or "average sound"
        counts = genres[labels == cluster].value_counts(normalize=True).head(3)
        top_genres = [{"genre": str(g), "share": round(float(s), 3)} for g, s in counts.items()]
        main = f" · mostly {top_genres[0]['genre']}" if top_genres else ""
        rows.append((cluster, f"M{cluster + 1}: {description}{main}", description, top_genres))
    return pd.DataFrame(rows, columns=["cluster", "label", "description", "top_genres"])


def map_2d(z: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """The first two principal components (n x 2) of the standardised features."""
    components = min(2, z.shape[1], len(z))
    coords = PCA(n_components=components, random_state=seed).fit_transform(z)
    if components < 2:
        coords = np.hstack([coords, np.zeros((len(z), 2 - components))])
    return coords


# Up to this many tracks the neighbours are exact (brute force); above it, a graph index (HNSW) finds them in
# about n log n instead of n^2 (tests/test_discover_pure.py checks recall against brute force). Build breadth 24
# and search breadth 20 (were 40 and 32) cost 0.65-0.75x the CPU and find 99.3-99.6% of the exact 10 nearest
# (TidyTuesday resampled to 114k, the demo's 78k, Gaussian 6k and 60k; 99.7-99.8% before).
EXACT_NEIGHBOURS_MAX = 20_000
HNSW_LINKS, HNSW_BUILD_BREADTH, HNSW_SEARCH_BREADTH = 16, 24, 20


def nearest_tracks(z: np.ndarray, k: int, *, exact_max: int = EXACT_NEIGHBOURS_MAX) -> tuple[np.ndarray, np.ndarray]:
    """(index n x k, distance n x k) of each row's k nearest other rows, nearest first (itself excluded).

    Exact (brute force in chunks: in ~9 dimensions of sound, trees prune little) up to `exact_max` rows; above,
    approximate through faiss's HNSW graph on one thread, built in row order with its fixed seed, so the same
    rows give the same neighbours run after run."""
    k = min(k, len(z) - 1)
    if k <= 0:
        return np.zeros((len(z), 0), dtype=int), np.zeros((len(z), 0))
    if len(z) <= exact_max:
        distance, index = NearestNeighbors(n_neighbors=k + 1, algorithm="brute").fit(z).kneighbors(z)
    else:
        index, distance = _graph_neighbours(np.ascontiguousarray(z, dtype=np.float32), k + 1)
    own = index == np.arange(len(z))[:, None]
    # Drop each row's own index (usually first; with duplicate points it may come later), else the farthest.
    drop = np.where(own.any(axis=1), own.argmax(axis=1), k)
    keep = np.ones_like(index, dtype=bool)
    keep[np.arange(len(z)), drop] = False
    return index[keep].reshape(len(z), k), distance[keep].reshape(len(z), k)


def neighbours_key(ids: np.ndarray, z: np.ndarray, k: int, *, exact_max: int = EXACT_NEIGHBOURS_MAX) -> str:
    """A content hash of everything `nearest_tracks(z, k)` and the ids it maps to depend on: the ids in order,
    the standardised features' bytes, k, the method and its parameters (and the library that computes them), so
    an equal key means an identical result and a stored graph under that key can be reused as it is."""
    if len(z) > exact_max:
        import faiss

        method = f"hnsw {HNSW_LINKS} {HNSW_BUILD_BREADTH} {HNSW_SEARCH_BREADTH} faiss {faiss.__version__}"
    else:
        method = f"exact sklearn {sklearn.__version__}"
    digest = hashlib.sha256(f"nearest_tracks v1; k={k}; {method}; n={len(z)}\n".encode())
    digest.update("\x1f".join(map(str, ids)).encode())
    digest.update(np.ascontiguousarray(z, dtype=np.float64).data)  # the bytes, not a copy of them
    return digest.hexdigest()


def _graph_neighbours(z: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(index, euclidean distance) of each row's k nearest rows, itself included, through an HNSW index."""
    import faiss

    faiss.omp_set_num_threads(1)  # one thread per process measured best on the shared cores
    graph = faiss.IndexHNSWFlat(z.shape[1], HNSW_LINKS)
    graph.hnsw.efConstruction = HNSW_BUILD_BREADTH
    graph.add(z)
    graph.hnsw.efSearch = max(HNSW_SEARCH_BREADTH, k)
    squared, index = graph.search(z, k)
    return index.astype(np.int64), np.sqrt(np.maximum(squared, 0.0)).astype(np.float64)
