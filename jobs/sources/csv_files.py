"""Reading CSV files for the dataset importer: plain or gzip (by magic bytes), UTF-8, exact line numbers.

`iter_rows` yields every data row after the header with the line it starts on, so a quoted field spanning
several lines (music-mining) does not shift later line numbers. A row that cannot be used (a CSV error, the
wrong number of fields, bytes that are not UTF-8) is yielded with the reason instead of the row.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from jobs.errors import DataQualityError

_INVALID_BYTES = re.compile("[\udc80-\udcff]")
csv.field_size_limit(16 * 1024 * 1024)  # music-mining has multi-line fields far above the 128 kB default


def file_stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".csv"):
        name = name.removesuffix(suffix)
    return name


def open_text(path: Path) -> TextIO:
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    raw = gzip.open(path, "rb") if gzipped else path.open("rb")
    # Invalid bytes become lone surrogates (never produced by valid UTF-8), so the row can be rejected.
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")


def read_header(path: Path) -> list[str]:
    try:
        with open_text(path) as handle:
            header = next(csv.reader(handle), None)
    except (OSError, EOFError, csv.Error) as error:
        raise DataQualityError(f"{path}: cannot read a CSV header ({error})") from error
    if not header:
        raise DataQualityError(f"{path}: the file is empty (no header row)")
    return [column.strip() for column in header]


def iter_rows(path: Path) -> Iterator[tuple[int, dict[str, str] | None, str | None]]:
    """(first line of the row, the row as a dict or None, why not) for every data row after the header."""
    with open_text(path) as handle:
        reader = csv.reader(handle)
        header = [column.strip() for column in next(reader, [])]
        last_line = reader.line_num
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                yield last_line + 1, None, f"CSV error: {error}"
                last_line = reader.line_num
                continue
            line, last_line = last_line + 1, reader.line_num
            if not fields:
                continue
            if len(fields) != len(header):
                yield line, None, f"expected {len(header)} fields, got {len(fields)}"
            elif _INVALID_BYTES.search("".join(fields)):
                yield line, None, "not valid UTF-8"
            else:
                yield line, dict(zip(header, fields, strict=True)), None


def list_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.name.endswith((".csv", ".csv.gz")))
        if not files:
            raise DataQualityError(f"{path}: no .csv or .csv.gz files in this directory")
        return files
    if not path.is_file():
        raise DataQualityError(f"{path}: no such file")
    return [path]
