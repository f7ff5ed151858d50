"""An insight and a conversation as Markdown documents; saving one atomically, or a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.windows_locks import WindowsLocks

from caliber_desktop.errors import ValidationError
from caliber_desktop.services.ai.transcript import (
    TranscriptTurn,
    conversation_markdown,
    demote_headings,
    insight_markdown,
    save_text,
)


def test_headings_move_down_but_code_stays_code() -> None:
    text = "# Top\n\n## Next\n\n```python\n# a comment\n```\n\n####### not a heading\n#tag"
    assert demote_headings(text, 2) == (
        "### Top\n\n#### Next\n\n```python\n# a comment\n```\n\n####### not a heading\n#tag"
    )
    assert demote_headings("###### Deepest", 3) == "###### Deepest"


def test_an_insight_document_has_its_title_campaign_when_source_and_caveat() -> None:
    text = insight_markdown(
        "Performance",
        "## Findings\n\n- **Block** the bottom decile.",
        campaign="Holiday display",
        when="7 Dec 2026 08:12",
        source="offline (no AI)",
        note="Offline insight: built from the statistics.\nAdd a key for more.",
    )
    assert text == (
        "# Performance — Holiday display\n\n"
        "*7 Dec 2026 08:12 · offline (no AI)*\n\n"
        "> Offline insight: built from the statistics.\n> Add a key for more.\n\n"
        "### Findings\n\n- **Block** the bottom decile.\n"
    )
    assert insight_markdown("Overview", "Fine.") == "# Overview\n\nFine.\n"


def test_a_conversation_document_keeps_order_and_marks_stopped_and_failed_replies() -> None:
    turns = [
        TranscriptTurn("user", "Which sites first?", when="08:01"),
        TranscriptTurn("assistant", "# Block\n\n1. a.com", model="gpt-4o-mini", when="08:01"),
        TranscriptTurn("assistant", "Half a", status="stopped", model="gpt-4o-mini"),
        TranscriptTurn("user", "Again?", when="08:03"),
        TranscriptTurn("assistant", "", status="failed", when="08:03", error="No OpenAI key."),
    ]
    text = conversation_markdown(
        turns, title="Conversation about Holiday display", when="7 Dec 2026 08:05"
    )
    assert text == (
        "# Conversation about Holiday display\n\n"
        "*Exported 7 Dec 2026 08:05*\n\n"
        "## You · 08:01\n\nWhich sites first?\n\n"
        "## Assistant · 08:01 · gpt-4o-mini\n\n### Block\n\n1. a.com\n\n"
        "## Assistant · gpt-4o-mini · Stopped\n\nHalf a\n\n"
        "## You · 08:03\n\nAgain?\n\n"
        "## Assistant · 08:03 · Failed\n\n> No OpenAI key.\n"
    )


def test_save_text_writes_utf8_and_replaces_the_previous_file(tmp_path: Path) -> None:
    path = tmp_path / "new folder" / "insight.md"
    text = "# Résumé — 東京\n\n- 43.6 %\n"
    assert save_text(path, text) == path
    assert path.read_bytes() == text.encode("utf-8")
    save_text(path, "second\n")
    assert path.read_text(encoding="utf-8") == "second\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["insight.md"]  # no temp file left


def test_a_read_only_folder_names_the_file_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "share"
    folder.mkdir()
    WindowsLocks(monkeypatch).make_read_only(folder)
    with pytest.raises(ValidationError) as refused:
        save_text(folder / "conversation.md", "text")
    message = str(refused.value)
    assert "conversation.md" in message
    assert str(folder) in message
    assert "Choose a folder you can write to" in message
    assert list(folder.iterdir()) == []


def test_a_file_open_in_another_app_is_named_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "insight.md"
    path.write_text("old\n", encoding="utf-8")
    WindowsLocks(monkeypatch).lock(path)
    with pytest.raises(ValidationError) as refused:
        save_text(path, "new\n")
    assert "insight.md" in str(refused.value)
    assert "open in another app" in str(refused.value)
    assert path.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["insight.md"]


def test_a_folder_in_the_way_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.md").mkdir()
    with pytest.raises(ValidationError, match="is a folder"):
        save_text(tmp_path / "notes.md", "text")
