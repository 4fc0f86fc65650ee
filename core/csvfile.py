"""Cheap checks of a data file before anything expensive starts, and format sniffing.

:func:`check_file` costs one ``stat``: it runs before the CLI starts its workers, so a
missing, unreadable, special or too-large file is refused at once. :func:`sniff` reads
only the first 64 KiB to guess the separator, the decimal mark and the header line.
Nothing here imports pandas.
"""

from __future__ import annotations

import csv
import os
import re
import stat
from dataclasses import dataclass

from core.errors import DataError

#: Bytes read to guess the format.
SNIFF_BYTES = 64 * 1024
#: Separators tried, in order of preference on a tie; " " means runs of whitespace.
SEPARATORS = (",", ";", "\t", "|")
#: Names a user may give for a separator (``--sep tab``).
SEP_NAMES = {"comma": ",", "semicolon": ";", "tab": "\t", "\\t": "\t", "space": " ", "pipe": "|"}
#: A file over 1/MEMORY_SHARE of the machine's memory is refused before loading.
MEMORY_SHARE = 8

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
_DECIMAL_POINT = re.compile(r"[+-]?\d+\.\d+")


def _gib(size: float) -> str:
    return f"{size / 2**30:.1f} GiB" if size >= 2**30 else f"{size / 2**20:.1f} MiB"


def memory_bytes() -> int:
    """This machine's physical memory (0 when unknown)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def max_file_bytes() -> int:
    """The largest CSV file loaded: 1/MEMORY_SHARE of memory (parsing and encoding
    need several times the file's size)."""
    total = memory_bytes()
    return total // MEMORY_SHARE if total else 2**62


def check_file(path: str) -> int:
    """Refuse a path that cannot be a CSV file to load; returns its size in bytes.

    Exists, is a regular file (not a directory, ``/dev/zero`` or a pipe), can be
    read, is not empty and is small enough to load in memory.
    """
    full = os.path.expanduser(path)
    try:
        info = os.stat(full)
    except FileNotFoundError:
        raise DataError("no such file", path=path) from None
    except OSError as error:
        raise DataError(f"cannot read the file ({error.strerror or error})", path=path) from None
    if stat.S_ISDIR(info.st_mode):
        raise DataError("is a directory; expected a CSV file", path=path)
    if not stat.S_ISREG(info.st_mode):
        raise DataError(
            "is not a regular file (a device or a pipe); expected a CSV file", path=path
        )
    if not os.access(full, os.R_OK):
        raise DataError("cannot read the file (permission denied)", path=path)
    if info.st_size == 0:
        raise DataError("file is empty; expected a header row and data rows", path=path)
    limit = max_file_bytes()
    if info.st_size > limit:
        raise DataError(
            f"file is {_gib(info.st_size)}; files over {_gib(limit)} (1/{MEMORY_SHARE} of this "
            f"machine's {_gib(memory_bytes())} memory) are too big to load",
            path=path,
        )
    return info.st_size


@dataclass(frozen=True, slots=True)
class Sniffed:
    """What the start of a file says about its format."""

    sep: str  # the separator; " " = runs of whitespace
    decimal: str  # "." or ","
    header_line: int  # 1-based line of the header (first non-blank line)
    names: tuple[str, ...]  # the header cells, stripped of spaces and quotes
    has_quotes: bool  # a quote character appears in the sample
    quotechar: str = '"'  # "'" when the cells are wrapped in single quotes
    #: The first non-blank lines from the header on (up to :data:`SAMPLE_LINES`).
    lines: tuple[str, ...] = ()


#: Lines of the file's start kept by :func:`sniff` (the header and 50 rows).
SAMPLE_LINES = 51


def _decode_sample(raw: bytes, path: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if error.start >= len(raw) - 3 and error.reason == "unexpected end of data":
            return raw[: error.start].decode("utf-8-sig")  # a character cut by the sample
        raise not_utf8(raw, error.start, path) from None


def not_utf8(raw: bytes, start: int, path: str) -> DataError:
    """The error for a byte that is not UTF-8, at its 1-based line."""
    line = raw[:start].count(b"\n") + 1
    return DataError(
        f"not UTF-8 text (byte 0x{raw[start]:02x}); save the file as UTF-8 CSV",
        path=path,
        row=line,
    )


def _split(line: str, sep: str, quote: str = '"') -> list[str]:
    if sep == " ":
        return line.split()
    try:
        return next(csv.reader([line], delimiter=sep, quotechar=quote))
    except (csv.Error, StopIteration):
        return [line]


def _guess_sep(lines: list[str], quote: str = '"') -> tuple[str, int]:
    """The separator that splits every line into the same, largest number of fields."""
    best, best_width = ",", 1
    for sep in (*SEPARATORS, " "):
        widths = {len(_split(line, sep, quote)) for line in lines}
        if len(widths) == 1 and (width := widths.pop()) > best_width:
            best, best_width = sep, width
    return best, best_width


def _guess_decimal(lines: list[str], sep: str) -> str:
    if sep == ",":
        return "."
    cells = [cell.strip().strip("'\"") for line in lines[1:] for cell in _split(line, sep)]
    if any(_DECIMAL_COMMA.fullmatch(c) for c in cells) and not any(
        _DECIMAL_POINT.fullmatch(c) for c in cells
    ):
        return ","
    return "."


def clean_name(cell: str) -> str:
    """A header cell without surrounding spaces and quotes (``'GRADE'`` -> ``GRADE``)."""
    name = cell.strip()
    while len(name) >= 2 and name[0] == name[-1] and name[0] in "'\"":
        name = name[1:-1].strip()
    return name


def sniff(path: str, sep: str | None = None, decimal: str | None = None) -> Sniffed:
    """Guess the format from the first 64 KiB; ``sep``/``decimal`` override the guess."""
    full = os.path.expanduser(path)
    with open(full, "rb") as handle:
        raw = handle.read(SNIFF_BYTES)
        complete = not handle.read(1)
    text = _decode_sample(raw, path)
    stripped = text.lstrip()
    if not stripped:
        raise DataError("file is empty; expected a header row and data rows", path=path)
    if stripped[0] in "{[":
        raise DataError(
            "looks like JSON, not CSV; perceptune reads CSV files (a header row, then one "
            "row per sample, separated by , ; tab or spaces)",
            path=path,
        )
    lines = re.split(r"\r\n|\r|\n", text)  # as pandas splits (not \x1c-\x1e, \x85...)
    if not complete and len(lines) > 1:
        lines = lines[:-1]  # the sample may end inside a line
    header_line = next(i for i, line in enumerate(lines, start=1) if line.strip())
    kept = [line for line in lines[header_line - 1 :] if line.strip()][:SAMPLE_LINES]
    sample = kept[:50]  # what the guesses look at
    if sample[0].count('"') % 2:
        raise DataError(
            "a column name in the header holds a line break (inside quotes); names must "
            "be on one line",
            path=path,
            row=header_line,
        )
    quote = '"'
    if sep:
        chosen = SEP_NAMES.get(sep.lower(), sep)
    else:
        chosen, width = _guess_sep(sample)
        single = '"' not in text and "'" in text  # cells may be in 'single quotes'
        if single and _guess_sep(sample, "'")[1] > width:
            chosen, width = _guess_sep(sample, "'")  # a separator inside 'quoted' cells
            quote = "'"
    if '"' not in text and "'" in text and quote == '"':
        quote = _guess_quote(sample[1:], chosen)
    mark = decimal or _guess_decimal(sample, chosen)
    names = tuple(clean_name(cell) for cell in _split(sample[0], chosen, quote))
    return Sniffed(
        chosen, mark, header_line, names, '"' in text or quote != '"', quote, tuple(kept)
    )


def _guess_quote(lines: list[str], sep: str) -> str:
    """``'`` when most data cells are wrapped in single quotes (``'Torgersen'``)."""
    cells = [cell.strip() for line in lines for cell in _split(line, sep)]
    wrapped = sum(len(c) >= 2 and c[0] == c[-1] == "'" for c in cells)
    return "'" if cells and wrapped > len(cells) / 2 else '"'


def looks_numeric(text: str) -> bool:
    """A plain number like ``150`` or ``-2.5e3`` (for the all-numbers header check)."""
    return bool(_NUMBER.fullmatch(text.strip()))


def check_row_widths(path: str, sniffed: Sniffed) -> None:
    """Refuse a row with fewer or more fields than the header (pandas would pad a short
    row with missing values silently). Only for files without quotes, where counting
    separators per line is exact; pandas reports the rest."""
    if sniffed.has_quotes or sniffed.sep == " ":
        return
    sep = sniffed.sep.encode()
    width = len(sniffed.names)
    with open(os.path.expanduser(path), "rb") as handle:
        for number, line in enumerate(handle, start=1):
            if number <= sniffed.header_line:
                continue
            if b'"' in line:
                return  # quoting starts below the sample: let pandas judge
            fields = line.count(sep) + 1
            if fields != width and line.strip(b"\r\n" + sep + b" \t"):
                raise DataError(
                    f"row has {fields} fields but the header has {width}",
                    path=path,
                    row=number,
                )


def utf8_error(path: str) -> DataError:
    """Find the first non-UTF-8 byte of ``path`` (after a decode failure)."""
    with open(os.path.expanduser(path), "rb") as handle:
        raw = handle.read()
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return not_utf8(raw, error.start, path)
    return DataError("not UTF-8 text; save the file as UTF-8 CSV", path=path)
