"""The monthly governance report (数据治理月报): `yibenzhang.report.monthly`."""

from yibenzhang.report.monthly import Month, ReportError, render_monthly, write_monthly

__all__ = ["Month", "ReportError", "render_monthly", "write_monthly"]
