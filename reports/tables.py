"""What a report hands to its page, CSV download and API: tables of numbers, each optionally drawn as a chart.

Cells hold plain values (numbers, text, dates, or a link as `{"text", "url"}`), so the same rows serve the HTML
table, the CSV file and the JSON answer.
"""

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # text, count, percent, hours, rate, date, datetime, link

    @property
    def is_date(self) -> bool:
        return self.kind in {"date", "datetime"}

    @property
    def is_numeric(self) -> bool:
        return self.kind in {"count", "percent", "hours", "rate"}


@dataclass
class Chart:
    """Chart.js input: `kind` is bar, stacked or line; one dataset per series, aligned with `labels`."""

    kind: str
    labels: list[str]
    datasets: list[dict]
    y_label: str = ""
    y_max: float | None = None

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "labels": self.labels,
            "datasets": self.datasets,
            "y_label": self.y_label,
            "y_max": self.y_max,
        }


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict]
    chart: Chart | None = None
    note: str = ""
    empty: str = "Nothing in this range."

    def cell_text(self, row: dict, column: Column) -> str:
        """A cell as text, the way the CSV file and the page print it (empty for no value)."""
        value = row.get(column.key)
        if value is None:
            return ""
        if column.kind == "link" and isinstance(value, dict):
            return value["text"]
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M")
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, float):
            return f"{value:.1f}"
        return str(value)

    def as_json(self) -> dict:
        def plain(value):
            if isinstance(value, datetime | date):
                return value.isoformat()
            return value

        return {
            "title": self.title,
            "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in self.columns],
            "rows": [{c.key: plain(row.get(c.key)) for c in self.columns} for row in self.rows],
            "note": self.note,
        }


@dataclass
class Report:
    slug: str
    title: str
    tables: list[Table]
    summary: list[tuple[str, str]] = field(default_factory=list)

    def table(self, key: str) -> Table | None:
        return next((table for table in self.tables if table.key == key), None)


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def change_percent(now: float, before: float) -> float | None:
    return round(100 * (now - before) / before, 1) if before else None


def hours(minutes: float | None) -> float | None:
    return None if minutes is None else round(minutes / 60, 1)
