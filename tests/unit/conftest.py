"""Fixtures for the Qt-free unit tests: valid campaign settings and small report files."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

#: Five explicit settings that are valid together (and differ from every default).
VALID_SETTINGS: dict[str, Any] = {
    "platform": "trade_desk",
    "goal": "action",
    "channel": "video",
    "ctr_sensitivity": True,
    "analysis_level": "supply_vendor",
}

REPORT_CSV = (
    "Date,Site,Supply Vendor,Impressions,Clicks,Advertiser Cost (Adv Currency)\n"
    "2024-11-01,example.com,Xandr,1000,3,1.25\n"
    "2024-11-01,news.example.org,Kargo,2500,7,3.10\n"
    "2024-11-02,example.com,Xandr,1200,2,1.40\n"
)


@pytest.fixture
def settings() -> dict[str, Any]:
    return dict(VALID_SETTINGS)


@pytest.fixture
def report_file(tmp_path: Path) -> Callable[..., Path]:
    """Write a small valid CSV report (or the given text/bytes) under a fresh name."""
    counter = iter(range(1_000_000))

    def make(content: str | bytes = REPORT_CSV, name: str | None = None) -> Path:
        folder = tmp_path / "reports"
        folder.mkdir(exist_ok=True)
        path = folder / (name or f"report-{next(counter)}.csv")
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
        return path

    return make


# ----------------------------------------------------------------------------- a real .xls
# No XLS writer is installed, so this builds the smallest file Excel 97-2003 would write: a BIFF8
# workbook stream (text cells only) inside an OLE2 compound file. xlrd reads it like any other.

_END_OF_CHAIN, _FREE, _FAT_SECTOR, _NO_STREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
_SECTOR = 512
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _record(kind: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def _unicode(text: str, length_bytes: int) -> bytes:
    length = struct.pack("<H" if length_bytes == 2 else "<B", len(text))
    return length + b"\x01" + text.encode("utf-16-le")  # flag 1: uncompressed UTF-16


def _bof(kind: int) -> bytes:
    return _record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 6))


def _biff8(sheets: dict[str, list[list[str]]]) -> bytes:
    bodies = []
    for rows in sheets.values():
        cells = b"".join(
            _record(0x0204, struct.pack("<HHH", r, c, 0) + _unicode(value, 2))  # LABEL
            for r, row in enumerate(rows)
            for c, value in enumerate(row)
            if value != ""
        )
        width = max((len(row) for row in rows), default=0)
        dimensions = _record(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, width, 0))
        bodies.append(_bof(0x0010) + dimensions + cells + _record(0x000A))
    codepage = _record(0x0042, struct.pack("<H", 1200))
    offset = len(_bof(0x0005) + codepage + _record(0x000A)) + sum(
        len(_record(0x0085, bytes(6) + _unicode(name, 1))) for name in sheets
    )
    bound = b""
    for name, body in zip(sheets, bodies, strict=True):
        bound += _record(0x0085, struct.pack("<IBB", offset, 0, 0) + _unicode(name, 1))
        offset += len(body)
    return _bof(0x0005) + codepage + bound + _record(0x000A) + b"".join(bodies)


def _directory_entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
    raw = name.encode("utf-16-le") + b"\0\0" if name else b""
    siblings_and_child = (_NO_STREAM, _NO_STREAM, child)
    fields = (len(raw), kind, 1, *siblings_and_child, bytes(16), 0, 0, 0, start, size)
    return raw.ljust(64, b"\0") + struct.pack("<HBBIII16sIQQIQ", *fields)


def _compound_file(stream: bytes, name: str = "Workbook") -> bytes:
    # Sector 0 is the FAT, 1..n the stream (>= 4096 bytes, so no mini stream), n + 1 the directory.
    stream = stream.ljust(max(4096, -(-len(stream) // _SECTOR) * _SECTOR), b"\0")
    sectors = len(stream) // _SECTOR
    fat = [_FAT_SECTOR, *range(2, sectors + 1), _END_OF_CHAIN, _END_OF_CHAIN]
    fat += [_FREE] * (_SECTOR // 4 - len(fat))
    version = (0x3E, 3, 0xFFFE, 9, 6, bytes(6))  # minor, major, byte order, sector shifts
    layout = (0, 1, sectors + 1, 0, 4096)  # dir sectors, FAT sectors, first dir sector, -, cutoff
    no_mini_fat_no_difat = (_END_OF_CHAIN, 0, _END_OF_CHAIN, 0)
    header = (
        _OLE2_MAGIC
        + bytes(16)
        + struct.pack("<HHHHH6sIIIIIIIII", *version, *layout, *no_mini_fat_no_difat)
        + struct.pack("<109I", 0, *([_FREE] * 108))  # the FAT is sector 0
    )
    directory = (
        _directory_entry("Root Entry", 5, 1, _END_OF_CHAIN, 0)
        + _directory_entry(name, 2, _NO_STREAM, 1, len(stream))
        + _directory_entry("", 0, _NO_STREAM, 0, 0) * 2
    )
    return header + struct.pack(f"<{len(fat)}I", *fat) + stream + directory


@pytest.fixture
def xls_bytes() -> Callable[..., bytes]:
    """Build a real Excel 97-2003 (.xls) file: ``{sheet name: rows of text cells}``.

    ``stream`` renames the workbook stream: any other name makes a valid OLE2 file that is not a
    workbook (as a Word .doc is).
    """

    def build(sheets: dict[str, list[list[str]]], stream: str = "Workbook") -> bytes:
        return _compound_file(_biff8(sheets), stream)

    return build
