"""Reading CSV files for the dataset importer: plain or gzip (by magic bytes), UTF-8 or UTF-16 with a BOM.

`iter_rows` yields every data row after the header with the line it starts on, so a quoted field spanning
several lines (music-mining) does not shift later line numbers. A row that cannot be used (a CSV error, the
wrong number of fields, bytes that are not UTF-8, a line longer than `MAX_LINE_CHARS`) is yielded with the
reason instead of the row. Lines are read with a bounded length, so one huge line costs at most the limit in
memory, never its own size. A file that cannot be read on (a truncated gzip, a corrupt stream) raises one
`DataQualityError` naming the last good line; so do a duplicated header column and UTF-16 without a BOM.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, TextIO

from jobs.errors import DataQualityError

_INVALID_BYTES = re.compile("[\udc80-\udcff]")
MAX_LINE_CHARS = 16 * 1024 * 1024  # music-mining has multi-line fields far above the 128 kB csv default
csv.field_size_limit(MAX_LINE_CHARS)
_READ_ERRORS = (EOFError, OSError, zlib.error, UnicodeDecodeError)


def file_stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".csv"):
        name = name.removesuffix(suffix)
    return name


def _encoding(path: Path, raw: BinaryIO) -> tuple[str, str]:
    """(codec, error handler) from the first bytes: UTF-16 by its BOM, else UTF-8 (a BOM is dropped)."""
    head = raw.peek(64)[:64]  # type: ignore[attr-defined]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "strict"
    first_line = head.split(b"\n", 1)[0]
    if len(first_line) >= 4 and first_line.count(0) * 4 >= len(first_line):  # ASCII as UTF-16: every other byte
        raise DataQualityError(
            f"{path}: the file has NUL bytes: it looks like UTF-16 without a byte-order mark."
            " Save it as UTF-8 (or as UTF-16 with a BOM) and import it again"
        )
    # Invalid bytes become lone surrogates (never produced by valid UTF-8), so the row can be rejected.
    return "utf-8-sig", "surrogateescape"


def open_text(path: Path) -> TextIO:
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    raw: BinaryIO = gzip.open(path, "rb") if gzipped else path.open("rb")  # type: ignore[assignment]
    try:
        encoding, errors = _encoding(path, raw)
    except BaseException:
        raw.close()
        raise
    return io.TextIOWrapper(raw, encoding=encoding, errors=errors, newline="")


class BoundedLines:
    """The physical lines of `handle`, each read with at most `limit` characters in memory. A longer line is
    consumed in pieces and replaced by an empty line; its number is kept in `too_long` until checked."""

    def __init__(self, handle: TextIO, limit: int) -> None:
        self.handle, self.limit = handle, limit
        self.line = 0
        self.too_long: set[int] = set()

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        piece = self.handle.readline(self.limit)
        if not piece:
            raise StopIteration
        self.line += 1
        if len(piece) >= self.limit and not piece.endswith(("\n", "\r")):
            while piece and not piece.endswith(("\n", "\r")):
                piece = self.handle.readline(self.limit)
            self.too_long.add(self.line)
            return "\n"
        return piece

    def overlong_between(self, first: int, last: int) -> int | None:
        """The first too-long line in [first, last], forgetting those (so the set stays small)."""
        found = sorted(n for n in self.too_long if first <= n <= last)
        self.too_long.difference_update([n for n in self.too_long if n <= last])
        return found[0] if found else None


def read_header(path: Path) -> list[str]:
    try:
        with open_text(path) as handle:
            lines = BoundedLines(handle, MAX_LINE_CHARS)
            header = next(csv.reader(lines), None)
    except (*_READ_ERRORS, csv.Error) as error:
        raise DataQualityError(f"{path}: cannot read a CSV header ({error})") from error
    if lines.too_long:
        raise DataQualityError(f"{path}: the header line is longer than {MAX_LINE_CHARS:,} characters")
    if not header:
        raise DataQualityError(f"{path}: the file is empty (no header row)")
    columns = [column.strip() for column in header]
    repeated = [column for column, count in Counter(columns).items() if count > 1]
    if repeated:
        raise DataQualityError(
            f"{path}: the header names {', '.join(repr(c) for c in repeated)} more than once;"
            " each column must appear once (rename or drop the copies)"
        )
    return columns


def iter_rows(path: Path) -> Iterator[tuple[int, dict[str, str] | None, str | None]]:
    """(first line of the row, the row as a dict or None, why not) for every data row after the header."""
    header = read_header(path)
    with open_text(path) as handle:
        lines = BoundedLines(handle, MAX_LINE_CHARS)
        reader = csv.reader(lines)
        try:
            next(reader, [])
        except _READ_ERRORS as error:
            raise DataQualityError(f"{path}: cannot read the header ({error})") from error
        last_line = reader.line_num
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                lines.overlong_between(last_line + 1, reader.line_num)
                yield last_line + 1, None, f"CSV error: {error}"
                last_line = reader.line_num
                continue
            except _READ_ERRORS as error:
                raise DataQualityError(
                    f"{path}: the file cannot be read after line {last_line}: it is truncated or corrupt"
                    f" ({type(error).__name__}: {error})"
                ) from error
            line, last_line = last_line + 1, reader.line_num
            overlong = lines.overlong_between(line, last_line)
            if overlong is not None:
                yield overlong, None, f"line longer than {MAX_LINE_CHARS:,} characters"
            elif not fields:
                continue
            elif len(fields) != len(header):
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
