"""caliber_desktop.console: the ``caliber-readable`` error handler, stream rules, UTF-8 JSON."""

from __future__ import annotations

import io
import json
import sys

import pytest

from caliber_desktop import console
from caliber_desktop.console import READABLE, settle, stand_in


@pytest.fixture(autouse=True)
def _no_lost_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test counts its own '?'s; none leak into another test's CLI run."""
    monkeypatch.setattr(console._Lost, "count", 0)


@pytest.mark.parametrize(
    ("char", "shown"),
    [
        ("→", "->"), ("←", "<-"), ("Δ", "d"), ("−", "-"), ("–", "-"), ("—", "-"), ("…", "..."),
        ("≤", "<="), ("≥", ">="), ("×", "x"), ("·", "-"), ("‘", "'"), ("’", "'"), ("“", '"'),
        ("”", '"'), ("›", ">"), ("€", "EUR"), ("\u00a0", " "), ("\u200b", ""), ("ł", "l"),
        ("ő", "o"), ("é", "e"), ("Ａ", "A"), ("½", "1/2"), ("ﬁ", "fi"), ("\u0301", ""),
        ("a", "a"),
    ],
)  # fmt: skip
def test_stand_ins_are_ascii_look_alikes(char: str, shown: str) -> None:
    assert stand_in(char) == shown
    assert shown.isascii()


@pytest.mark.parametrize("char", ["К", "東", "ε", "ا", "😀", "\udcff"])
def test_letters_of_other_scripts_have_no_stand_in(char: str) -> None:
    assert stand_in(char) is None


def test_every_stand_in_is_ascii() -> None:
    assert all(value.isascii() for value in console.STAND_INS.values())


def test_the_handler_keeps_what_the_encoding_has_and_stands_in_for_the_rest() -> None:
    text = "Run 1 → run 2: Δ −3.0 ≤ 5 … “ok” — café €5, Кампания 東京"
    assert text.encode("ascii", READABLE) == (
        b'Run 1 -> run 2: d -3.0 <= 5 ... "ok" - cafe EUR5, ???????? ??'
    )
    # cp1252 has the dash, the quotes, é and €: only the rest changes.
    assert text.encode("cp1252", READABLE).decode("cp1252") == (
        "Run 1 -> run 2: d -3.0 <= 5 … “ok” — café €5, ???????? ??"
    )


def test_a_decomposed_accent_the_encoding_lacks_is_dropped() -> None:
    assert "e\u0301t\u0301e".encode("cp1252", READABLE) == b"ete"


def test_the_handler_is_for_encoding_only() -> None:
    with pytest.raises(UnicodeDecodeError):
        b"\xff".decode("utf-8", READABLE)


def test_question_marks_are_counted_and_noted_once(capsys: pytest.CaptureFixture[str]) -> None:
    "→ Кот".encode("cp1252", READABLE)  # the arrow has a stand-in; the three letters do not
    console.note_lost_characters("caliber")
    err = capsys.readouterr().err
    assert "caliber: 3 character(s) cannot be shown" in err
    assert "--json" in err
    assert "PYTHONIOENCODING=utf-8" in err
    console.note_lost_characters("caliber")
    assert capsys.readouterr().err == ""


def test_no_note_without_question_marks(capsys: pytest.CaptureFixture[str]) -> None:
    "→ Δ …".encode("ascii", READABLE)
    console.note_lost_characters("caliber")
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("stream", "environ", "xoptions", "terminal", "expected"),
    [
        # A pipe or file in the locale's code page becomes UTF-8 (stdout, then stderr).
        (("cp1252", "strict"), {}, {}, False, ("utf-8", READABLE)),
        (("cp1252", "backslashreplace"), {}, {}, False, ("utf-8", "backslashreplace")),
        (("ascii", "strict"), {}, {}, False, ("utf-8", READABLE)),
        # An encoding the user named stays, with readable fallbacks for stdout and stderr.
        (("cp1252", "strict"), {"PYTHONIOENCODING": "cp1252"}, {}, False, ("cp1252", READABLE)),
        (("cp1252", "backslashreplace"), {"PYTHONIOENCODING": "cp1252"}, {}, False,
         ("cp1252", READABLE)),
        # So does the locale's code page when the user opted out of UTF-8 mode.
        (("cp1252", "strict"), {"PYTHONUTF8": "0"}, {}, False, ("cp1252", READABLE)),
        (("cp1252", "strict"), {}, {"utf8": "0"}, False, ("cp1252", READABLE)),
        # An error handler the user named is left alone, even strict.
        (("cp1252", "strict"), {"PYTHONIOENCODING": "cp1252:strict"}, {}, False,
         ("cp1252", "strict")),
        (("cp1252", "replace"), {"PYTHONIOENCODING": ":replace"}, {}, False, ("utf-8", "replace")),
        # A terminal decodes in its own encoding: it keeps it.
        (("cp437", "strict"), {}, {}, True, ("cp437", READABLE)),
        (("utf-8", "strict"), {}, {}, True, ("utf-8", READABLE)),
        # UTF-8 already (UTF-8 mode, a UTF-8 locale): only a lone surrogate could fail.
        (("utf-8", "strict"), {}, {}, False, ("utf-8", READABLE)),
        (("UTF8", "backslashreplace"), {}, {}, False, ("UTF8", "backslashreplace")),
        (("utf-8", "surrogateescape"), {}, {}, False, ("utf-8", "surrogateescape")),
        (("cp1252", "replace"), {"PYTHONUTF8": "0"}, {}, False, ("cp1252", "replace")),
    ],
)  # fmt: skip
def test_settle(
    stream: tuple[str, str],
    environ: dict[str, str],
    xoptions: dict[str, object],
    terminal: bool,
    expected: tuple[str, str],
) -> None:
    encoding, errors = stream
    assert settle(encoding, errors, terminal=terminal, environ=environ, xoptions=xoptions) == (
        expected
    )


def _pipe(encoding: str = "cp1252", errors: str = "strict") -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(), encoding=encoding, errors=errors, newline="\n")


def _bytes(stream: io.TextIOWrapper) -> bytes:
    stream.flush()
    buffer = stream.buffer
    assert isinstance(buffer, io.BytesIO)
    return buffer.getvalue()


def _windows_pipes(monkeypatch: pytest.MonkeyPatch) -> tuple[io.TextIOWrapper, io.TextIOWrapper]:
    """stdout and stderr as a Windows pipe has them: cp1252, strict and backslashreplace.

    Called in the test itself: pytest puts its own capture back between setup and call.
    """
    for name in ("PYTHONIOENCODING", "PYTHONUTF8"):
        monkeypatch.delenv(name, raising=False)
    out, err = _pipe(), _pipe(errors="backslashreplace")
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    return out, err


def test_a_cp1252_pipe_becomes_utf8(monkeypatch: pytest.MonkeyPatch) -> None:
    out, err = _windows_pipes(monkeypatch)
    console.make_streams_safe()
    console.make_streams_safe()  # again: nothing changes
    assert (out.encoding, out.errors) == ("utf-8", READABLE)
    assert (err.encoding, err.errors) == ("utf-8", "backslashreplace")
    print("Кампания 東京 →")
    assert _bytes(out) == "Кампания 東京 →\n".encode()


def test_a_named_encoding_stays_and_never_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    out, err = _windows_pipes(monkeypatch)
    monkeypatch.setenv("PYTHONIOENCODING", "cp1252")
    console.make_streams_safe()
    assert (out.encoding, out.errors, err.encoding, err.errors) == (
        "cp1252", READABLE, "cp1252", READABLE
    )  # fmt: skip
    print("Кампания 東京 → café")
    print("Δ −1", file=sys.stderr)
    assert _bytes(out) == "???????? ?? -> café\n".encode("cp1252")
    assert _bytes(err) == b"d -1\n"


def test_streams_without_reconfigure_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    text = io.StringIO()
    monkeypatch.setattr(sys, "stdout", text)
    monkeypatch.setattr(sys, "stderr", None)
    console.make_streams_safe()
    assert sys.stdout is text


def test_json_is_utf8_bytes_on_a_cp1252_stream() -> None:
    stream = _pipe()
    stream.write("before\n")
    document = json.dumps({"name": "Кампания 東京 →", "site": "例え.jp"}, ensure_ascii=False)
    console.write_utf8(document, stream)
    raw = _bytes(stream)
    assert raw.startswith(b"before\n")
    assert json.loads(raw[len(b"before\n") :].decode("utf-8")) == {
        "name": "Кампания 東京 →",
        "site": "例え.jp",
    }


def test_json_with_a_lone_surrogate_stays_valid() -> None:
    stream = _pipe("utf-8")
    console.write_utf8(json.dumps("bad\udcffname", ensure_ascii=False), stream)
    raw = _bytes(stream)
    assert json.loads(raw.decode("utf-8")) == "bad\udcffname"


def test_json_on_a_text_only_stream_is_text() -> None:
    stream = io.StringIO()
    console.write_utf8('{"name": "東京"}', stream)
    assert stream.getvalue() == '{"name": "東京"}\n'
