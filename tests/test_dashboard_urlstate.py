"""Filters <-> query string: forgiving parsing, canonical writing (pure, no database)."""

from __future__ import annotations

import pytest

from dashboard import urlstate


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("", None), ("  pop ", "pop"), (["rock", "latin"], "latin"), ([], None), (7, "7")],
)
def test_one_takes_the_last_of_a_repeated_key(value: object, expected: str | None) -> None:
    assert urlstate.one(value) == expected


def test_choice_and_integer_fall_back_to_defaults() -> None:
    assert urlstate.choice("growth7", ("level", "growth7"), "level") == "growth7"
    assert urlstate.choice("DROP TABLE", ("level", "growth7"), "level") == "level"
    assert urlstate.integer("30", 20, low=1, high=50) == 30
    assert urlstate.integer("500", 20, low=1, high=50) == 50
    assert urlstate.integer("-3", 20, low=1, high=50) == 1
    assert urlstate.integer("ten", 20, low=1, high=50) == 20
    assert urlstate.integer(None, None, low=1, high=50) is None


def test_search_string_leaves_defaults_out_and_round_trips() -> None:
    defaults = {"genre": None, "order": "level", "top": 20}
    assert urlstate.search_string({"genre": None, "order": "level", "top": 20}, defaults) == ""
    search = urlstate.search_string({"genre": "r&b", "order": "growth7", "top": 20}, defaults)
    assert search == "?genre=r%26b&order=growth7"
    assert urlstate.query_of(search) == {"genre": "r&b", "order": "growth7"}
    assert urlstate.query_of("?genre=a&genre=b") == {"genre": ["a", "b"]}
    assert urlstate.query_of(None) == {} and urlstate.query_of("") == {}
