"""Every ``caliber`` command on a cp1252 pipe, as on Windows when stdout goes to a file or pipe.

There Python encodes in the ANSI code page with ``errors="strict"``; an arrow, a delta or a
Cyrillic campaign name once ended the command with ``UnicodeEncodeError``. Each command runs once
as a subprocess with ``PYTHONIOENCODING=cp1252`` and ``PYTHONUTF8=0`` on one shared data dir (a
non-Latin path holding non-Latin campaigns, templates, a report file and sites); text output must
decode as cp1252 with readable stand-ins, ``--json`` must be UTF-8 with every name kept exactly.
``PYTHONIOENCODING`` names the encoding, so the CLI keeps it (a pipe without such a setting
becomes UTF-8 instead: tests/unit/cli/test_console.py). The commands of one phase run side by side
(SQLite and the scoring lock take care of that), which keeps the whole module near 30 s.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support.openai_server import OpenAIServer, Reply

from caliber_desktop.cli import main as cli
from caliber_desktop.console import stand_in
from caliber_desktop.services.startup import sample_report
from caliber_desktop.services.workspace import open_workspace

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
CAMPAIGN = "Кампания 東京 →"
TEMPLATE = "Шаблон 東京 →"
REPORT = "отчёт 東京.csv"
SITES = ("例え.jp", "пример.рф", "παράδειγμα.ελ")
REPLY = ["Блокируйте ", "例え.jp → ", "Δ −3.0 ≤ 5 … ok"]
SETTINGS = {"platform": "trade_desk", "goal": "awareness", "channel": "display",
            "ctr_sensitivity": False, "analysis_level": "domain"}  # fmt: skip
SETTINGS_ARGS = ("--platform", "trade_desk", "--goal", "awareness", "--channel", "display",
                 "--no-ctr-sensitivity", "--level", "domain")  # fmt: skip


def cp1252(text: str) -> str:
    """How the CLI shows ``text`` on a cp1252 stream: itself, else a stand-in, else ``?``."""
    return "".join(c if c.encode("cp1252", "ignore") else stand_in(c) or "?" for c in text)


@dataclass(frozen=True)
class Case:
    """One command line; ``{cid}``-style fields come from the prepared data dir."""

    args: tuple[str, ...]
    code: int = 0
    #: Text the cp1252 output shows (stdout; stderr when ``code`` is not 0).
    shows: tuple[str, ...] = ()
    #: Strings the parsed --json document holds exactly (stdout; stderr when ``code`` is not 0).
    keeps: tuple[str, ...] = ()
    #: Phase 2 runs after phase 1 (it reads what phase 1 wrote).
    phase: int = 1
    #: ``entry_cli``: build/entry_cli.py, the frozen executable's entry point.
    entry: str = "module"
    ai: bool = False

    @property
    def as_json(self) -> bool:
        return "--json" in self.args


CASES: dict[str, Case] = {
    # Text output, one run per command and action.
    "help": Case(("score", "--help"), entry="entry_cli",
                 shows=(cp1252("canonical → header"), "0.5–0.99")),
    "doctor": Case(("doctor",), shows=(": healthy", "-> Enter the key", cp1252("данные 東京"))),
    "clean": Case(("clean", "--dry-run"), shows=("Nothing to clean up.",)),
    "templates-list": Case(("templates", "list"), shows=(cp1252(TEMPLATE),)),
    "templates-create": Case(("templates", "create", "Новый →", *SETTINGS_ARGS),
                             shows=(f"{cp1252('Новый →')} (The Trade Desk",)),
    "templates-delete": Case(("templates", "delete", "{spare_template}"),
                             shows=("Deleted template",)),
    "campaigns-list": Case(("campaigns", "list"), shows=(cp1252(CAMPAIGN),)),
    "campaigns-show": Case(("campaigns", "show", "{cid}"),
                           shows=(f"Campaign {{cid}}: {cp1252(CAMPAIGN)}", cp1252(REPORT))),
    "campaigns-create": Case(("campaigns", "create", "Новая →", *SETTINGS_ARGS),
                             shows=(f": {cp1252('Новая →')}",)),
    "campaigns-delete": Case(("campaigns", "delete", "{spare_campaign}"),
                             shows=("Deleted campaign",)),
    "campaigns-delete-refused": Case(("campaigns", "delete", "{cid}"), code=4,
                                     shows=(cp1252(CAMPAIGN), "has scored results")),
    "import": Case(("import", "{report}", "--campaign", "{import_target}"),
                   shows=("Attached", cp1252(REPORT), cp1252(SITES[0]))),
    "score-file": Case(("score", "{report}", "--goal", "awareness", "--out", "{tmp}/итог 東京"),
                       shows=("Scored ", cp1252("итог 東京"))),
    "score-campaign": Case(("score", "--campaign", "{cid2}"), shows=("Run ", "campaign score")),
    "runs": Case(("runs", "--campaign", "{cid}"), shows=("current",)),
    "export": Case(("export", "--campaign", "{cid}", "--out", "{tmp}/экспорт.csv"),
                   shows=("Exported the results", cp1252("экспорт.csv"))),
    "compare": Case(("compare", "--campaign", "{cid}", "--limit", "5"),
                    shows=("Run 1 -> run 2", "|d score|", "Lists: ")),
    "report": Case(("report", "--campaign", "{cid}", "--out", "{tmp}/отчёт.pdf"),
                   shows=("Wrote ", cp1252("отчёт.pdf"))),
    "insight": Case(("insight", "--campaign", "{cid}", "--offline", "--type", "performance"),
                    shows=("Offline insight",)),
    "chat": Case(("chat", "--campaign", "{cid}", "Что блокировать →?"), ai=True,
                 shows=(cp1252("".join(REPLY)),)),
    "login": Case(("login", "анна@example.com", "--password-stdin"), code=5,
                  shows=("not configured",)),
    "logout": Case(("logout",), shows=("Nobody was signed in.",)),
    "whoami": Case(("whoami",), shows=("Local profile",)),
    # Team administration without credentials: refused (exit 5) before any network, the
    # non-Latin address and name never breaking the output.
    **{f"admin-users-{action}": Case(("admin", "users", action, *extra), code=5,
                                     shows=("No administrator credentials",))
       for action, extra in (("list", ()), ("add", ("анна@example.com", "--name", "Анна →")),
                             ("disable", ("анна@example.com",)), ("enable", ("анна@example.com",)),
                             ("remove", ("анна@example.com",)), ("revoke", ("анна@example.com",)),
                             ("role", ("анна@example.com", "admin")))},
    "admin-credentials-show": Case(("admin", "credentials", "show"),
                                   shows=("No administrator credentials",)),
    "admin-credentials-forget": Case(("admin", "credentials", "forget"),
                                     shows=("No service-account key was kept.",)),
    "admin-credentials-import": Case(("admin", "credentials", "import", "{report}"), code=2,
                                     shows=(cp1252(REPORT), "is not a service-account key")),
    # --json, before and after the command: UTF-8 whatever the console says.
    "json-campaigns-list-after": Case(("campaigns", "list", "--json"), keeps=(CAMPAIGN,)),
    "json-campaigns-show-before": Case(("--json", "campaigns", "show", "{cid}"),
                                       keeps=(CAMPAIGN, REPORT)),
    "json-compare": Case(("compare", "--campaign", "{cid}", "--json"),
                         keeps=("Run 1 → run 2",)),
    "json-error": Case(("campaigns", "delete", "{cid}", "--json"), code=4, keeps=(CAMPAIGN,)),
    "json-import": Case(("import", "{report}", "--campaign", "{import_target}", "--json"),
                        phase=2, keeps=(REPORT, *SITES)),
    "json-chat-history": Case(("--json", "chat", "--campaign", "{cid}", "--history"), phase=2,
                              keeps=("Что блокировать →?", "".join(REPLY))),
}  # fmt: skip


@dataclass(frozen=True)
class Prepared:
    home: Path
    fields: dict[str, str]

    def fill(self, text: str) -> str:
        return text.format(**self.fields)


@dataclass(frozen=True)
class Outcome:
    argv: list[str]
    code: int
    out: bytes
    err: bytes


def _reports(folder: Path) -> tuple[Path, Path]:
    """The first 3000 and 4000 rows of the sample, the first rows' sites renamed to SITES."""
    with sample_report().open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))[:4001]
    column = rows[0].index("Site")
    renamed: dict[str, str] = {}
    for row in rows[1:]:
        if row[column] not in renamed and len(renamed) < len(SITES):
            renamed[row[column]] = SITES[len(renamed)]
        row[column] = renamed.get(row[column], row[column])
    early, full = folder / "early.csv", folder / REPORT
    for path, count in ((early, 3001), (full, 4001)):
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(rows[:count])
    return early, full


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    """One data dir for every command: a campaign with two runs, and spares to delete."""
    tmp = tmp_path_factory.mktemp("console") / "данные 東京"
    home = tmp / "home"
    tmp.mkdir()
    early, full = _reports(tmp)
    root_logger = logging.getLogger()
    handlers, level = list(root_logger.handlers), root_logger.level
    ws = open_workspace(home)
    try:
        template = ws.templates.create(TEMPLATE, SETTINGS)
        campaign = ws.campaigns.create(CAMPAIGN, template_id=template.id)
        for report in (early, full):
            ws.uploads.attach(campaign.id, report)
            ws.runs.score_campaign(campaign.id)
        second = ws.campaigns.create("Второй 東京", settings=SETTINGS)
        ws.uploads.attach(second.id, full)
        fields = {
            "cid": str(campaign.id),
            "cid2": str(second.id),
            "import_target": str(ws.campaigns.create("Импорт", settings=SETTINGS).id),
            "spare_campaign": str(ws.campaigns.create("Удалить →", settings=SETTINGS).id),
            "spare_template": str(ws.templates.create("Удалить →", SETTINGS).id),
            "report": str(full),
            "tmp": str(tmp),
            "home": str(home.resolve()),
        }
    finally:
        ws.close()
        for handler in list(root_logger.handlers):
            if handler not in handlers:
                root_logger.removeHandler(handler)
                handler.close()
        root_logger.setLevel(level)
    return Prepared(home, fields)


def _run(case: Case, data: Prepared, server: OpenAIServer) -> Outcome:
    env = {**os.environ, "CALIBER_HOME": str(data.home), "PYTHONIOENCODING": "cp1252",
           "PYTHONUTF8": "0", "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
           "QT_QPA_PLATFORM": "offscreen"}  # fmt: skip
    for name in ("OPENAI_API_KEY", "CALIBER_OPENAI_BASE_URL", "FIREBASE_AUTH_EMULATOR_HOST",
                 "CALIBER_FIREBASE_API_KEY", "CALIBER_FIREBASE_PROJECT_ID"):  # fmt: skip
        env.pop(name, None)
    if case.ai:
        env.update(OPENAI_API_KEY="sk-console", CALIBER_OPENAI_BASE_URL=server.base_url)
    if case.entry == "entry_cli":  # the script's folder comes first on sys.path: add this checkout
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    program = (
        [sys.executable, str(REPO / "build" / "entry_cli.py")]
        if case.entry == "entry_cli"
        else [sys.executable, "-m", "caliber_desktop"]
    )
    argv = [*program, *(data.fill(arg) for arg in case.args)]
    done = subprocess.run(
        argv, capture_output=True, stdin=subprocess.DEVNULL, env=env, timeout=300, check=False
    )
    return Outcome(argv, done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="module")
def outcomes(prepared: Prepared) -> Iterator[dict[str, Outcome]]:
    """Every case's outcome, each phase's commands run side by side."""
    with OpenAIServer() as server:
        server.script(Reply(chunks=REPLY))
        results: dict[str, Outcome] = {}
        workers = min(4, max(2, os.cpu_count() or 2))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for phase in (1, 2):
                names = [name for name, case in CASES.items() if case.phase == phase]
                ran = pool.map(lambda name: _run(CASES[name], prepared, server), names)
                results.update(zip(names, ran, strict=True))
        yield results


def _clean(outcome: Outcome) -> None:
    for stream in (outcome.out, outcome.err):
        assert b"Traceback" not in stream, stream.decode("utf-8", "replace")
        assert b"UnicodeEncodeError" not in stream
        assert b"codec can't encode" not in stream
        assert b"Unexpected error" not in stream, stream.decode("utf-8", "replace")


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if not c.as_json])
def test_text_output_is_readable_cp1252(
    name: str, outcomes: dict[str, Outcome], prepared: Prepared
) -> None:
    case, outcome = CASES[name], outcomes[name]
    _clean(outcome)
    out, err = outcome.out.decode("cp1252"), outcome.err.decode("cp1252")  # strict: must decode
    assert outcome.code == case.code, (outcome.argv, out, err)
    shown = out if case.code == 0 else err
    for text in case.shows:
        assert prepared.fill(text) in shown, (text, out, err)
    # A "?" stands for a character cp1252 lacks, and stderr says how to get them all.
    if any("?" in prepared.fill(text) for text in case.shows):
        assert "PYTHONIOENCODING=utf-8" in err, err


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.as_json])
def test_json_is_utf8_whatever_the_console(
    name: str, outcomes: dict[str, Outcome], prepared: Prepared
) -> None:
    case, outcome = CASES[name], outcomes[name]
    _clean(outcome)
    assert outcome.code == case.code, (outcome.argv, outcome.out, outcome.err)
    document = json.loads((outcome.out if case.code == 0 else outcome.err).decode("utf-8"))
    found = list(_strings(document))
    for text in case.keeps:
        wanted = prepared.fill(text)
        assert any(wanted in s for s in found), (wanted, document)
    assert "PYTHONIOENCODING=utf-8" not in outcome.err.decode("utf-8")  # nothing was lost


def _command_lines(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> set[str]:
    """Every command and action of ``caliber`` ("campaigns create", "doctor" ...)."""
    found: set[str] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                nested = _command_lines(sub, (*prefix, name))
                found |= nested or {" ".join((*prefix, name))}
    return found


def test_every_command_is_covered() -> None:
    """A new command joins CASES, so it is checked on cp1252 too."""
    covered = set()
    for case in CASES.values():
        words = [a for a in case.args if not a.startswith("-")]
        covered |= {" ".join(words[:n]) for n in (1, 2, 3)}
    missing = _command_lines(cli.build_parser()) - covered
    assert not missing, f"add a case for: {sorted(missing)}"
