"""Every text file the app, its build and its tests open names its encoding.

Without ``encoding=`` Python uses the locale's code page: UTF-8 on Linux and macOS, cp1252 on
most Windows machines, where a UTF-8 export, a non-ASCII site name or a JSON document written
with ``ensure_ascii=False`` then reads back as mojibake or raises UnicodeDecodeError. Ruff's
PLW1514 (enabled in pyproject.toml) sees only calls on what it knows to be a ``Path``; this also
catches ``(tmp_path / "x").read_text()`` and ``handle.open("w")``, whose receiver it cannot type.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from support.paths import REPO as ROOT

SOURCES = ("caliber_desktop", "tests", "build", "bench", "dev.py")
VENDORED = {"tests/support/make_reports.py"}  # the shared generator, kept byte-identical
OPENERS = {"open", "fdopen", "NamedTemporaryFile", "TemporaryFile", "SpooledTemporaryFile"}


def python_files() -> Iterator[Path]:
    for name in SOURCES:
        path = ROOT / name
        yield from [path] if path.is_file() else sorted(path.rglob("*.py"))


def text_mode(call: ast.Call, position: int) -> bool:
    """Whether the literal mode of ``call`` (keyword, or positional at ``position``) is text."""
    mode: ast.expr | None = next((k.value for k in call.keywords if k.arg == "mode"), None)
    if mode is None and len(call.args) > position:
        mode = call.args[position]
    return isinstance(mode, ast.Constant) and isinstance(mode.value, str) and "b" not in mode.value


def unnamed_encodings(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or any(k.arg == "encoding" for k in node.keywords):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in {"read_text", "write_text"}:
            yield node.lineno, f"{name}() without encoding="
        elif name in OPENERS:
            # open(file, mode) and os.fdopen(fd, mode); path.open(mode) and the temp files'
            # mode come first. A bare open(file) is text too; a bare x.open() is a dialog's.
            builtin = isinstance(func, ast.Name) and name == "open"
            position = 1 if builtin or name == "fdopen" else 0
            if text_mode(node, position) or (builtin and len(node.args) < 2 and not node.keywords):
                yield node.lineno, f"{name}() in text mode without encoding="


def test_every_text_file_is_opened_with_an_explicit_encoding() -> None:
    found = [
        f"{path.relative_to(ROOT).as_posix()}:{line}: {what}"
        for path in python_files()
        if path.relative_to(ROOT).as_posix() not in VENDORED
        for line, what in unnamed_encodings(ast.parse(path.read_bytes(), str(path)))
    ]
    assert not found, "name the encoding (utf-8) of:\n" + "\n".join(found)


def test_the_check_finds_what_it_looks_for() -> None:
    """Negative control: each form it must catch, and none it must leave alone."""
    source = (
        "(tmp / 'a').read_text()\n"
        "p.write_text(t, newline='')\n"
        "open(name)\n"
        "open(name, 'w')\n"
        "handle.open('a')\n"
        "os.fdopen(fd, 'w', newline='')\n"
        "tempfile.NamedTemporaryFile('w')\n"
        "open(name, 'rb'); p.open('wb'); p.read_text(encoding='utf-8'); dialog.open()\n"
        "zip_book.open(member, 'w'); os.fdopen(fd, 'wb'); tempfile.NamedTemporaryFile()\n"
    )
    assert [line for line, _ in unnamed_encodings(ast.parse(source))] == [1, 2, 3, 4, 5, 6, 7]
