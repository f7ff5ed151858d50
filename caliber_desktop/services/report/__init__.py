"""The PDF report of a campaign's run (reportlab, no Qt): :func:`write_report`."""

from caliber_desktop.services.report.builder import ReportInfo, write_report

__all__ = ["ReportInfo", "write_report"]
