"""Write the PDF report of a campaign's run: layout, page decorations, atomic file writing.

The PDF is written to a hidden temporary file next to the target and renamed over it only when
complete, so a failure or a cancel never leaves half a PDF (nor destroys an older report of the
same name). Progress is reported per page; the cancel token is checked between flowables.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Frame, NextPageTemplate, PageTemplate

from caliber_desktop import __version__
from caliber_desktop.errors import ValidationError
from caliber_desktop.services.exports.file_swap import check_targets, file_error, folder_error
from caliber_desktop.services.progress import CancelToken, ProgressCallback, no_progress
from caliber_desktop.services.report.charts import ACCENT, GRID, MUTED
from caliber_desktop.services.report.content import ReportContent, gather
from caliber_desktop.services.report.fonts import BOLD, REGULAR, clean, register_fonts, runs
from caliber_desktop.services.report.sections import sections_for

if TYPE_CHECKING:
    from caliber_desktop.services.workspace import Workspace

log = logging.getLogger(__name__)

PAGE = A4
MARGIN_X = 18 * mm
MARGIN_TOP = 20 * mm
MARGIN_BOTTOM = 18 * mm


@dataclass(frozen=True)
class ReportInfo:
    """What was written: the file, its pages, how many sites its tables name, and whether the
    per-site tables left sites out (they do above a few hundred sites)."""

    path: Path
    pages: int
    sites_listed: int
    truncated: bool
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "pages": self.pages,
            "sites_listed": self.sites_listed,
            "truncated": self.truncated,
            "seconds": round(self.seconds, 2),
        }


def write_report(
    workspace: Workspace,
    campaign_id: int,
    out_path: Path | str,
    *,
    run_id: int | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> ReportInfo:
    """Write the PDF report of ``campaign_id``'s run (the current one unless ``run_id``)."""
    started = time.perf_counter()
    report = progress or no_progress
    token = cancel or CancelToken()
    target = _target(out_path)
    report(0, 100, "Reading the run")
    content = gather(workspace, campaign_id, run_id)
    token.raise_if_cancelled()
    report(15, 100, "Laying out the report")
    info = render(content, target, progress=report, cancel=token)
    elapsed = time.perf_counter() - started
    log.info(
        "report of campaign %s: %s (%d pages, %.2f s)", campaign_id, target, info.pages, elapsed
    )
    return ReportInfo(info.path, info.pages, info.sites_listed, info.truncated, elapsed)


def _target(out_path: Path | str) -> Path:
    target = Path(out_path).expanduser()
    if not str(out_path).strip():
        raise ValidationError("Say where to write the report.", field="out")
    if target.is_dir():
        raise ValidationError(
            f"{target} is a folder; give a file name like report.pdf.", field="out"
        )
    if not target.parent.is_dir():
        raise ValidationError(
            f"The folder {target.parent} does not exist.",
            field="out",
            hint="Create it first or choose another place.",
        )
    return target.resolve()


def render(
    content: ReportContent,
    target: Path,
    *,
    progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
) -> ReportInfo:
    """Lay ``content`` out into ``target`` (atomically).

    A report open in a PDF viewer (Windows refuses to replace it) is found before drawing and
    named in the exports' own words: "Close report.pdf in your PDF viewer (or any app that has it
    open) and export again."
    """
    register_fonts()
    check_targets(target.parent, [target.name])
    token = cancel or CancelToken()
    width = PAGE[0] - 2 * MARGIN_X
    flowables, built = sections_for(content, width)
    token.raise_if_cancelled()
    progress(30, 100, "Drawing pages")
    try:
        fd, temp_name = tempfile.mkstemp(
            prefix=f".{target.stem}.", suffix=".part", dir=target.parent
        )
    except OSError as exc:
        raise folder_error(target.parent, exc) from None
    os.close(fd)
    temp = Path(temp_name)
    try:
        try:
            doc = _ReportDoc(temp, content, progress, token)
            doc.build(flowables, canvasmaker=_canvas_maker(content))
        except OSError as exc:
            raise folder_error(target.parent, exc) from None
        token.raise_if_cancelled()
        progress(98, 100, "Saving")
        try:
            os.replace(temp, target)
        except OSError as exc:
            raise file_error(target, exc) from None
    finally:
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)
    progress(100, 100, "Report written")
    return ReportInfo(target, doc.pages, len(built.listed), built.truncated)


class _ReportDoc(BaseDocTemplate):  # type: ignore[misc]  # reportlab is untyped
    """A title page, then body pages with a header (campaign, run) and footer (date, page)."""

    def __init__(
        self, path: Path, content: ReportContent, progress: ProgressCallback, token: CancelToken
    ) -> None:
        name = clean(content.campaign.name)
        super().__init__(
            str(path),
            pagesize=PAGE,
            leftMargin=MARGIN_X,
            rightMargin=MARGIN_X,
            topMargin=MARGIN_TOP,
            bottomMargin=MARGIN_BOTTOM,
            title=f"{name} – Caliber report",
            author="Caliber Desktop",
            subject=f"Campaign performance report, run #{content.run.id}",
            creator=f"Caliber Desktop {__version__}",
            initialFontName=REGULAR,
            initialFontSize=9.5,
            invariant=False,
        )
        self.content = content
        self.progress_cb = progress
        self.token = token
        self.pages = 0
        frame = Frame(
            self.leftMargin, self.bottomMargin, self.width, self.height, id="body", showBoundary=0
        )
        self.addPageTemplates(
            [
                PageTemplate("title", [frame], onPage=self._title_page),
                PageTemplate("body", [frame], onPage=self._body_page),
            ]
        )

    def build(self, flowables: list[Any], **kwargs: Any) -> None:
        super().build([NextPageTemplate("body"), *flowables], **kwargs)

    def afterFlowable(self, flowable: Any) -> None:  # noqa: N802 (reportlab's hook)
        self.token.raise_if_cancelled()

    def afterPage(self) -> None:  # noqa: N802 (reportlab's hook)
        self.pages = self.page
        self.progress_cb(min(30 + 2 * self.page, 95), 100, f"Drawing page {self.page}")
        self.token.raise_if_cancelled()

    # ------------------------------------------------------------------ decorations
    def _title_page(self, canvas: Canvas, doc: Any) -> None:
        w, h = PAGE
        canvas.saveState()
        canvas.setFillColor(ACCENT)
        canvas.rect(0, h - 14 * mm, w, 14 * mm, stroke=0, fill=1)
        canvas.setFillColorRGB(1, 1, 1)
        canvas.setFont(BOLD, 11)
        canvas.drawString(MARGIN_X, h - 9 * mm, "Caliber")
        canvas.setFont(REGULAR, 8)
        canvas.drawRightString(w - MARGIN_X, h - 9 * mm, "Site scoring and DSP lists")
        canvas.restoreState()

    def _body_page(self, canvas: Canvas, doc: Any) -> None:
        w, h = PAGE
        content = self.content
        canvas.saveState()
        y = h - MARGIN_TOP + 8 * mm
        canvas.setFillColor(MUTED)
        right = f"Run #{content.run.id}"
        canvas.setFont(REGULAR, 7.5)
        canvas.drawRightString(w - MARGIN_X, y, right)
        room = w - 2 * MARGIN_X - stringWidth(right, REGULAR, 7.5) - 10 * mm
        draw_text(canvas, MARGIN_X, y, clean(content.campaign.name), 7.5, room, bold=True)
        canvas.setStrokeColor(GRID)
        canvas.setLineWidth(0.6)
        canvas.line(MARGIN_X, y - 2.5 * mm, w - MARGIN_X, y - 2.5 * mm)
        canvas.line(MARGIN_X, MARGIN_BOTTOM - 5 * mm, w - MARGIN_X, MARGIN_BOTTOM - 5 * mm)
        canvas.setFont(REGULAR, 7)
        stamp = content.generated_at.astimezone().strftime("%Y-%m-%d %H:%M")
        canvas.drawString(
            MARGIN_X, MARGIN_BOTTOM - 9 * mm, f"Generated {stamp} by Caliber Desktop {__version__}"
        )
        canvas.restoreState()


def draw_text(
    canvas: Canvas, x: float, y: float, text: str, size: float, room: float, *, bold: bool = False
) -> None:
    """Draw one line of third-party text on the canvas with font fallback, cut to ``room``."""
    base = BOLD if bold else REGULAR
    parts = list(runs(text, base))
    total = sum(stringWidth(run, font, size) for font, run in parts)
    ellipsis = stringWidth("…", base, size)
    for font, run in parts:
        width = stringWidth(run, font, size)
        if total > room and x + width > MARGIN_X + room - ellipsis:
            while run and x + stringWidth(run, font, size) > MARGIN_X + room - ellipsis:
                run = run[:-1]
            canvas.setFont(font, size)
            canvas.drawString(x, y, run)
            x += stringWidth(run, font, size)
            canvas.setFont(base, size)
            canvas.drawString(x, y, "…")
            return
        canvas.setFont(font, size)
        canvas.drawString(x, y, run)
        x += width


def _canvas_maker(content: ReportContent) -> type[Canvas]:
    """A canvas that holds pages back until the end so the footer can say "page 3 of 12"."""

    class NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab is untyped
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                if self._pageNumber > 1:
                    self.saveState()
                    self.setFont(REGULAR, 7)
                    self.setFillColor(MUTED)
                    self.drawRightString(
                        PAGE[0] - MARGIN_X,
                        MARGIN_BOTTOM - 9 * mm,
                        f"Page {self._pageNumber} of {total}",
                    )
                    self.restoreState()
                super().showPage()
            super().save()

    return NumberedCanvas
