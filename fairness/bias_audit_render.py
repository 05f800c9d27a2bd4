"""The bias audit (fairness/bias_audit.py) as CSV, as an HTML page (HR's, and the public
summary), and as PDF. Each states the audit's date, its data source and its period.

Category names are data people reported, never markup: escaped in HTML; in CSV a cell that a
spreadsheet would read as a formula is prefixed with a quote.
"""

from __future__ import annotations

import csv
import html
import io
from typing import Any

CSV_COLUMNS = (
    "audited_at",
    "data_source",
    "period_start",
    "period_end",
    "kind",
    "measure",
    "sample",
    "attribute",
    "category",
    "count",
    "people",
    "share_of_known",
    "selected",
    "rate",
    "impact_ratio",
    "impact_ratio_ci_low",
    "impact_ratio_ci_high",
    "excluded_from_ratios",
    "suppressed",
    "note",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else value


def _rate_name(measure: str) -> str:
    return "scoring rate" if measure.startswith("scored") else "selection rate"


def to_csv(audit: dict[str, Any]) -> str:
    """One row per table and category, the unknown category last in each table."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    head = [
        audit["audited_at"],
        audit["data_source"],
        audit["period"]["start"],
        audit["period"]["end"],
        audit["kind"],
    ]
    for table in audit["tables"]:
        where = [table["measure"], table["sample"], table["attribute_name"]]
        for row in table["categories"]:
            low, high = row["impact_ratio_ci"] or (None, None)
            note = row["reason"] if row["suppressed"] else row["too_few"] or ""
            if row["category"] == table["reference"]:
                note = "reference: highest rate"
            values = [
                row["category"],
                row["count"],
                row["people"],
                row["share"],
                row["selected"],
                row["rate"],
                row["impact_ratio"],
                low,
                high,
                bool(row["excluded"]),
                row["suppressed"],
                note,
            ]
            writer.writerow([_cell(v) for v in (*head, *where, *values)])
        unknown = [
            "unknown",
            table["unknown_rows"],
            table["unknown_people"],
            None,
            None,
            None,
            None,
            None,
            None,
            True,
            table["unknown_rows"] is None,
            "category not reported: counted apart, in no rate or ratio",
        ]
        writer.writerow([_cell(v) for v in (*head, *where, *unknown)])
    return out.getvalue()


STYLE = """
body{font:13px/1.45 sans-serif;max-width:1000px;margin:1.5em auto;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.4em 0}td,th{padding:.2em .6em;border-bottom:1px solid #eee;
text-align:right}th:first-child,td:first-child{text-align:left}.note{color:#555}
.meta td{text-align:left}.meta th{text-align:left;white-space:nowrap;vertical-align:top}
table:not(.meta) td:first-child{width:34%}.suppressed{color:#777;font-style:italic}
.todo{border:2px dashed #b35c00;background:#fff6ec;padding:.6em 1em;margin:.6em 0}
@page{size:A4;margin:1.5cm}
"""


def _h(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _num(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return _h(value)


def page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_h(title)}</title>'
        f"<style>{STYLE}</style></head><body>{body}</body></html>"
    )


def _meta(audit: dict[str, Any], published_at: str | None) -> str:
    rows = [
        ("Date of the audit", audit["audited_at"]),
        ("Period audited", f"{audit['period']['start']} to {audit['period']['end']} (UTC days)"),
        ("Kind of opportunity", audit["kind"]),
        ("Data source", audit["data_source"]),
        ("Applications in the period", audit["applications"]),
        ("Candidate lists served in the period", audit["candidate_lists"]),
    ]
    if published_at is not None:
        rows.insert(1, ("Published", published_at))
    cells = "".join(f"<tr><th>{_h(k)}</th><td>{_h(v)}</td></tr>" for k, v in rows)
    return f'<table class="meta">{cells}</table>'


def _table(table: dict[str, Any]) -> str:
    rate = _rate_name(table["measure"])
    head = (
        f"<tr><th>{_h(table['attribute_name'])}</th><th>{_h(table['sample'])}</th>"
        f"<th>people</th><th>share</th><th>{_h(rate)}</th><th>impact ratio</th><th></th></tr>"
    )
    rows = []
    for row in table["categories"]:
        if row["suppressed"]:
            rows.append(
                f'<tr class="suppressed"><td>{_h(row["category"])}</td>'
                f'<td colspan="6">suppressed: {_h(row["reason"])}</td></tr>'
            )
            continue
        note = "excluded (under 2%)" if row["excluded"] else ""
        if row["category"] == table["reference"]:
            note = "highest rate"
        rows.append(
            f"<tr><td>{_h(row['category'])}</td><td>{_num(row['count'])}</td>"
            f"<td>{_num(row['people'])}</td><td>{_num(row['share'])}</td>"
            f"<td>{_num(row['rate'])}</td><td>{_num(row['impact_ratio'])}</td>"
            f'<td class="note">{_h(note)}</td></tr>'
        )
    unknown = table["unknown_rows"]
    rows.append(
        f"<tr><td>unknown (counted apart)</td><td>{_num(unknown)}</td>"
        f"<td>{_num(table['unknown_people'])}</td><td></td><td></td><td></td>"
        f'<td class="note">{"suppressed" if unknown is None else "in no rate"}</td></tr>'
    )
    title = f"{_h(table['measure'].capitalize())}: {_h(rate)} by {_h(table['attribute_name'])}"
    return f"<h3>{title}</h3><table>{head}{''.join(rows)}</table>"


def _excluded(audit: dict[str, Any]) -> str:
    lines = []
    for table in audit["tables"]:
        for row in table["excluded"]:
            lines.append(
                f"<tr><td>{_h(table['measure'])}</td><td>{_h(table['attribute_name'])}</td>"
                f"<td>{_h(row['category'])}</td><td>{_num(row['count'])}</td>"
                f"<td>{_num(row['rate'])}</td><td class='note'>{_h(row['too_few'] or '')}</td></tr>"
            )
    if not lines:
        return "<p>No category was under 2% of the data: none was excluded.</p>"
    head = "<tr><th>measure</th><th>attribute</th><th>category</th><th>count</th><th>rate</th>"
    return f"<table>{head}<th>why</th></tr>{''.join(lines)}</table>"


EXPLAINED = (
    "<p>Selection rate: the share of a category's applications in the period that reached the "
    "step (shortlisted, offered, assigned), whenever that was decided. Scoring rate: the share "
    "of a category's appearances on the candidate lists served in the period that scored above "
    "the median score of all appearances{median}. Impact ratio: a category's rate divided by "
    "the highest rate among the categories compared. People whose category is not reported are "
    "counted apart and are in no rate. Categories under 2% of the data are excluded from the "
    "impact ratios (as NYC Local Law 144 allows) and listed below with their counts.</p>"
)


def to_html(audit: dict[str, Any], *, public: bool = False, published_at: str | None = None) -> str:
    """HR's page (every table, every cell the reader may see) or the public summary."""
    median = audit["median_score"]
    body = [
        f"<h1>{_h(audit['title'])}{' — public summary' if public else ''}</h1>",
        _meta(audit, published_at),
        EXPLAINED.format(median="" if median is None else f" ({median:.4g})"),
    ]
    if audit["min_cell"]:
        body.append(
            f"<p class='note'>Cells of fewer than {audit['min_cell']} people are suppressed, and "
            "so are others where a total would give one back: no figure here singles anyone "
            "out.</p>"
        )
    steps = [t for t in audit["tables"] if not t["measure"].startswith("scored")]
    scored = [t for t in audit["tables"] if t["measure"].startswith("scored")]
    body.append("<h2>Pass/fail steps: selection rates</h2>")
    body += [_table(t) for t in steps] or ["<p>No application in the period.</p>"]
    body.append("<h2>Ranked lists: scoring rates</h2>")
    body += [_table(t) for t in scored] or ["<p>No candidate list served in the period.</p>"]
    body += ["<h2>Categories excluded from the impact ratios</h2>", _excluded(audit)]
    return page(audit["title"], "".join(body))


def to_pdf(document: str) -> bytes:
    """An HTML page as PDF (WeasyPrint: pure Python over Pango, no browser)."""
    from weasyprint import HTML  # heavy: imported when a PDF is asked for

    return bytes(HTML(string=document).write_pdf())
