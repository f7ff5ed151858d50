"""Benchmark: does the window stay responsive while a 1M-row report scores, saves and loads?

Run from the repository root:

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_gui_responsiveness.py [--rows N]
        [--modes thread,child,window] [--opens N] [--home DATA_DIR]

A QTimer heartbeat ticks every 5 ms on the GUI thread while the real scoring worker runs on the
pool (read → preprocess → score → one SQLite transaction → loading the run back) and the results
panel then shows the run, as the window does. The gaps between ticks are the event-loop stalls a
user would feel; the script reports the longest and the 99th percentile for the whole job and for
each phase (score, save, load: load includes the panel taking the 100k-site run on the GUI
thread and painting it), target longest ≤ 50 ms and p99 ≤ 20 ms. Each mode runs in the same
process one after the other, so their figures compare: ``thread`` scores in the worker itself (as
before issue 17), ``child`` in a child process the worker supervises. Then the time to sort the
loaded results table by score and by site (target ≤ 150 ms), through the real model.

``window`` does the same in the real main window at 1366×768 (the analyst clicks Score; the
window chooses the worker or the child by the report's size), lists panel and docks included.

``--opens N`` then opens the scored campaign N more times as the analyst does by clicking it
(the window's loading job on the pool, then the panel shows the run): the load phase alone,
repeated, so a change to it can be measured against the machine's noise. ``--home DATA_DIR
--modes ""`` opens campaign 1 of an existing data dir instead of scoring first (a copy: the
bench only reads it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Qt's offscreen screen is 800×800 unless told otherwise: the window would be squeezed to it
if os.environ.setdefault("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    _SCREEN = Path(tempfile.gettempdir()) / "caliber-bench-screen-1366x768.json"
    _SCREEN.write_text(
        '{"screens": [{"name": "laptop", "x": 0, "y": 0, "width": 1366, "height": 768,'
        ' "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}',
        encoding="utf-8",
    )
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_SCREEN}"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_score import generate
from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtWidgets import QApplication

HEARTBEAT_MS = 5
#: After the panel took the run, the heartbeat keeps ticking this long (layout and painting).
SETTLE_MS = 1500
PHASES = ("score", "save", "load")


@dataclass
class Job:
    """One scoring, timed: heartbeats (when, gap) and when each phase began."""

    mode: str
    beats: list[tuple[float, float]] = field(default_factory=list)
    phase_starts: dict[str, float] = field(default_factory=dict)
    elapsed: float = 0.0
    loaded: Any = None
    #: the data dir the job scored into (``--opens`` opens its campaign again)
    home: Path | None = None
    start: float = field(default_factory=time.perf_counter)
    clock: QElapsedTimer = field(default_factory=QElapsedTimer)

    def start_clock(self) -> None:
        self.clock.start()

    def beat(self) -> None:
        """The heartbeat's slot: when (s since the job began) and the gap since the last tick."""
        self.beats.append((time.perf_counter() - self.start, self.clock.nsecsElapsed() / 1e6))
        self.clock.restart()

    def on_progress(self, _done: int, _total: int, message: str) -> None:
        now = time.perf_counter() - self.start
        if message == "Saving results":
            self.phase_starts.setdefault("save", now)
        elif message == "Loading the results":
            self.phase_starts.setdefault("load", now)


def stalls(gaps: list[float]) -> tuple[float, float]:
    """Longest gap and 99th percentile, in ms."""
    if not gaps:
        return 0.0, 0.0
    ordered = sorted(gaps)
    return ordered[-1], ordered[max(0, int(len(ordered) * 0.99) - 1)]


def run_job(app: QApplication, mode: str, report: Path) -> Job:
    from caliber_desktop.app import freeze_startup_objects
    from caliber_desktop.ui.results.panel import ResultsPanel
    from caliber_desktop.ui.results.prepared import prepare_results
    from caliber_desktop.ui.shared.collector import GuiThreadCollector
    from caliber_desktop.workers.registry import WorkerRegistry
    from caliber_desktop.workers.scoring import ScoreCampaignWorker

    home = Path(tempfile.mkdtemp(prefix=f"caliber-bench-{mode}-"))
    workspace, campaign_id = _bench_workspace(report, home)
    registry = WorkerRegistry()
    panel = ResultsPanel()  # shown, so its layout and painting count too
    panel.resize(1366, 768)
    panel.show()
    for _ in range(5):  # its first layout and paint belong to the window's start, not the job
        app.processEvents()
        time.sleep(0.05)
    freeze_startup_objects()  # as the app does once its window is up
    collector = GuiThreadCollector(app)  # as the app does from its start
    job = Job(mode, home=home)

    def on_result(loaded: Any) -> None:  # on the GUI thread, as the workbench's _show_run
        job.loaded = loaded
        panel.set_result(loaded.result, loaded.overrides, loaded.prepared)
        QTimer.singleShot(SETTLE_MS, app.quit)

    def on_error(info: Any) -> None:
        print(f"  {mode}: {info.message}")
        app.quit()

    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.setInterval(HEARTBEAT_MS)
    heartbeat.timeout.connect(job.beat)
    worker = ScoreCampaignWorker(  # as the window makes it (workbench.score)
        workspace.runs, campaign_id, in_child=mode == "child", prepare=prepare_results
    )
    worker.signals.progress.connect(job.on_progress)
    job.phase_starts["score"] = 0.0
    registry.start(worker, on_result=on_result, on_error=on_error)
    job.start_clock()
    heartbeat.start()
    app.exec()  # the real event loop, as in the window
    heartbeat.stop()
    job.elapsed = time.perf_counter() - job.start
    while registry.running_count():  # the registry's own bookkeeping after finished
        app.processEvents()
    registry.shutdown(5000)
    collector.stop()
    if job.loaded is not None:
        sort_figures(panel, len(job.loaded.result.sites))
    panel.close()
    panel.deleteLater()
    workspace.close()
    return job


def _bench_workspace(report: Path, home: Path) -> tuple[Any, int]:
    from caliber_desktop.services.workspace import open_workspace

    workspace = open_workspace(home)
    campaign = workspace.campaigns.create(
        "Benchmark",
        settings={
            "platform": "trade_desk",
            "goal": "awareness",
            "channel": "display",
            "ctr_sensitivity": False,
            "analysis_level": "domain",
        },
    )
    workspace.uploads.attach(campaign.id, report)
    return workspace, campaign.id


def run_window(app: QApplication, report: Path, opens: int) -> Job:
    """The real main window at 1366×768: the analyst clicks Score, then opens the run again.

    Everything the window does is in it: the workbench's scoring job (child or worker thread as
    the window chooses by the report's size), the results panel, the lists panel, the docks.
    """
    from caliber_desktop.app import freeze_startup_objects
    from caliber_desktop.ui.mainwindow.window import MainWindow
    from caliber_desktop.ui.shared.collector import GuiThreadCollector
    from caliber_desktop.workers.registry import WorkerRegistry

    home = Path(tempfile.mkdtemp(prefix="caliber-bench-window-"))
    workspace, campaign_id = _bench_workspace(report, home)
    registry = WorkerRegistry()
    window = MainWindow(workspace, registry)
    window.resize(1366, 768)
    window.show()
    window.start_up()
    deadline = time.perf_counter() + 20
    while time.perf_counter() < deadline and not (
        window.startup_complete and registry.running_count() == 0
    ):
        app.processEvents()
        time.sleep(0.02)
    window.campaigns_panel.select_campaign(campaign_id)  # as the analyst does before scoring
    deadline = time.perf_counter() + 10
    while time.perf_counter() < deadline and (
        window.workbench.campaign_id != campaign_id or registry.running_count()
    ):
        app.processEvents()
        time.sleep(0.02)
    freeze_startup_objects()
    collector = GuiThreadCollector(app)
    job = Job("window", home=home)

    def on_loaded(loaded: Any) -> None:
        job.loaded = loaded
        QTimer.singleShot(SETTLE_MS, app.quit)

    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.setInterval(HEARTBEAT_MS)
    heartbeat.timeout.connect(job.beat)
    window.workbench.scoring_progress.connect(job.on_progress)
    window.workbench.run_loaded.connect(on_loaded)
    job.phase_starts["score"] = 0.0
    window.workbench.score(campaign_id)
    job.start_clock()
    heartbeat.start()
    app.exec()
    heartbeat.stop()
    job.elapsed = time.perf_counter() - job.start
    window.workbench.scoring_progress.disconnect(job.on_progress)
    if job.loaded is not None:
        longest_of = []
        scoring_beats = job.beats
        for i in range(opens):  # the beats of each open apart from the scoring job's
            job.beats = []
            window.workbench.open_campaign(campaign_id)
            job.start_clock()
            heartbeat.start()
            app.exec()
            heartbeat.stop()
            longest, p99 = stalls([gap for _, gap in job.beats])
            longest_of.append(longest)
            print(f"  window open {i + 1}: longest stall {longest:3.0f} ms, p99 {p99:3.0f} ms")
        job.beats = scoring_beats
        if longest_of:
            print(f"  window opens: longest stall median {statistics.median(longest_of):.0f} ms"
                  f" (min {min(longest_of):.0f}, max {max(longest_of):.0f})")  # fmt: skip
    while registry.running_count():
        app.processEvents()
    window.close()
    registry.shutdown(5000)
    collector.stop()
    workspace.close()
    return job


def run_opens(app: QApplication, home: Path, campaign_id: int, opens: int) -> list[float]:
    """Open the campaign ``opens`` times as the window does; each open's longest stall, p99."""
    from caliber_desktop.app import freeze_startup_objects
    from caliber_desktop.services.workspace import open_workspace
    from caliber_desktop.ui.results.panel import ResultsPanel
    from caliber_desktop.ui.results.prepared import prepare_results
    from caliber_desktop.ui.shared.collector import GuiThreadCollector
    from caliber_desktop.workers.registry import WorkerRegistry
    from caliber_desktop.workers.scoring import load_current_run

    workspace = open_workspace(home)
    registry = WorkerRegistry()
    panel = ResultsPanel()
    panel.resize(1366, 768)
    panel.show()
    for _ in range(5):
        app.processEvents()
        time.sleep(0.05)
    freeze_startup_objects()
    collector = GuiThreadCollector(app)
    longest_of = []
    for i in range(opens):
        beats: list[float] = []
        clock = QElapsedTimer()
        start = time.perf_counter()
        shown: list[float] = []

        def beat(beats: list[float] = beats, clock: QElapsedTimer = clock) -> None:
            beats.append(clock.nsecsElapsed() / 1e6)
            clock.restart()

        def on_result(loaded: Any, shown: list[float] = shown, start: float = start) -> None:
            shown.append(time.perf_counter() - start)  # as the workbench's _show_run
            panel.set_result(loaded.result, loaded.overrides, loaded.prepared)
            QTimer.singleShot(SETTLE_MS, app.quit)

        heartbeat = QTimer()
        heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
        heartbeat.setInterval(HEARTBEAT_MS)
        heartbeat.timeout.connect(beat)
        worker = load_current_run(workspace, campaign_id, prepare_results)
        registry.start(worker, on_result=on_result, on_error=lambda _info: app.quit())
        clock.start()
        heartbeat.start()
        app.exec()
        heartbeat.stop()
        while registry.running_count():
            app.processEvents()
        longest, p99 = stalls(beats)
        longest_of.append(longest)
        took = f"loaded in {shown[0]:.2f} s" if shown else "failed"
        print(f"  open {i + 1}: {took}, longest stall {longest:3.0f} ms, p99 {p99:3.0f} ms")
    registry.shutdown(5000)
    collector.stop()
    panel.close()
    panel.deleteLater()
    workspace.close()
    if longest_of:
        print(f"  opens: longest stall median {statistics.median(longest_of):.0f} ms"
              f" (min {min(longest_of):.0f}, max {max(longest_of):.0f})")  # fmt: skip
    return longest_of


def sort_figures(panel: Any, sites: int) -> None:
    model = panel.model
    for key in ("score", "site_id"):
        column = model.column_of(key)
        times = []
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder) * 3:
            t = time.perf_counter()
            model.sort(column, order)
            times.append((time.perf_counter() - t) * 1000)
        print(f"  sort {sites:,} rows by {key}: median {statistics.median(times):.0f} ms")


def report_job(job: Job) -> tuple[float, float]:
    gaps = [gap for _, gap in job.beats]
    longest, p99 = stalls(gaps)
    print(f"{job.mode}: {job.elapsed:.1f} s, {len(gaps):,} heartbeats every {HEARTBEAT_MS} ms")
    print(f"  whole job: longest stall {longest:.0f} ms, p99 {p99:.0f} ms"
          "  (target: longest ≤ 50, p99 ≤ 20)")  # fmt: skip
    starts = [(name, job.phase_starts[name]) for name in PHASES if name in job.phase_starts]
    for i, (name, begin) in enumerate(starts):
        end = starts[i + 1][1] if i + 1 < len(starts) else float("inf")
        phase = [gap for at, gap in job.beats if begin <= at < end]
        p_longest, p_p99 = stalls(phase)
        took = min(end, job.elapsed) - begin
        print(f"  {name:5}: {took:5.2f} s, longest stall {p_longest:4.0f} ms, p99 {p_p99:3.0f} ms")
    if os.environ.get("BENCH_VERBOSE"):
        print("  stalls > 50 ms at (s, ms):",
              [(round(at, 2), round(gap)) for at, gap in job.beats if gap > 50])  # fmt: skip
    return longest, p99


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--modes",
        default="thread,child,window",
        help="thread, child, window (the real main "
        "window, which chooses thread or child itself), any of them, or none",
    )
    parser.add_argument("--opens", type=int, default=0, help="then open the run N times")
    parser.add_argument("--home", type=Path, help="with --modes '': open this data dir's run")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not modes:
        if args.home is None:
            parser.error("--modes '' needs --home DATA_DIR")
        print(f"{args.home}: opening campaign 1 {args.opens} times")
        run_opens(app, args.home, 1, args.opens)
        return 0
    report = generate(args.rows)
    os.environ["CALIBER_HOME"] = tempfile.mkdtemp(prefix="caliber-bench-")
    print(f"{report.name}: scoring, saving and loading into the results table")
    figures = {}
    home = None
    for mode in modes:
        job = (
            run_window(app, report, args.opens) if mode == "window" else run_job(app, mode, report)
        )
        if job.loaded is None:
            print(f"{mode}: scoring failed")
            return 1
        figures[mode] = report_job(job)
        home = job.home
    if args.opens and home is not None and modes[-1] != "window":
        print(f"opening the scored campaign {args.opens} times (the load phase alone)")
        run_opens(app, home, 1, args.opens)
    if "thread" in figures and "child" in figures:
        (t_max, t_p99), (c_max, c_p99) = figures["thread"], figures["child"]
        print(
            f"child / thread: longest stall {c_max / t_max:.2f}×,"
            f" p99 {c_p99 / max(t_p99, 0.1):.2f}×"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
