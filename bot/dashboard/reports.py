"""The reports page's view of the figures: translated titles and headers, formatted rows, a
chart per table, and every table as CSV.

CSV is written for spreadsheets on Belgian computers: UTF-8 with a byte order mark (without it
Excel reads Windows-1252 and breaks every "ë"), cells separated by `;` and decimals written
with a comma, which is what Excel with Belgian regional settings (nl-BE, fr-BE) opens right
with a double click. The first column holds the period's stable key ("2026-Q3", "2026-11")
whatever the page's language. Text that starts with = + - @ (or a tab or carriage return) gets
a leading apostrophe, so a spreadsheet shows it instead of running it as a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from markupsafe import Markup

from bot.dashboard import labels
from bot.dashboard.charts import (
    BLUE,
    GREEN,
    GREY,
    OLIVE,
    ORANGE,
    PURPLE,
    RED,
    TEAL,
    Series,
    horizontal_bars,
    line_chart,
    stacked_columns,
)
from dialogues.i18n import N_, Translator
from storage.records import AppointmentStatus, CaseOutcome, CaseStatus, CheckinAnswer
from storage.sql.report_figures import ReportFigures, TrajectoryPeriod

PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
OUTCOME_COLOURS = {
    CaseOutcome.LASTING_JOB: BLUE, CaseOutcome.TRAINING: TEAL, CaseOutcome.INDEPENDENT: PURPLE,
    CaseOutcome.STOPPED_PRACTICAL: ORANGE, CaseOutcome.STOPPED_BY_CLIENT: RED,
}
ANSWER_COLOURS = {
    CheckinAnswer.GOOD: GREEN, CheckinAnswer.SO_SO: OLIVE, CheckinAnswer.PROBLEM: ORANGE,
    CheckinAnswer.JOB_LOST: RED,
}

Value = str | int | float | None


class Kind(StrEnum):
    PERIOD = "period"  # a stable key; a month or quarter name on the page
    TEXT = "text"
    COUNT = "count"
    PERCENT = "percent"
    MINUTES = "minutes"


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    kind: Kind = Kind.COUNT

    @property
    def numeric(self) -> bool:
        return self.kind not in (Kind.PERIOD, Kind.TEXT)


@dataclass(frozen=True, slots=True)
class ReportTable:
    """One table, as both the page and the CSV export show it."""

    slug: str
    caption: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Value, ...], ...]

    @property
    def by_period(self) -> bool:
        return bool(self.columns) and self.columns[0].kind == Kind.PERIOD

    def only(self, period: str) -> ReportTable:
        """The rows of one period; a quarter also selects its months."""
        if not self.by_period:
            return self
        return replace(self, rows=tuple(r for r in self.rows if in_period(str(r[0]), period)))


@dataclass(frozen=True, slots=True)
class Section:
    """A table on the page with its chart, its rows formatted, and periods to export."""

    table: ReportTable
    intro: str
    chart: Markup
    cells: tuple[tuple[str, ...], ...]
    periods: tuple[tuple[str, str], ...]  # (key, name), newest first


@dataclass(frozen=True, slots=True)
class _Report:
    title: str  # marked with N_, translated when shown
    intro: str
    table: Callable[[ReportFigures, Translator, str], ReportTable]
    chart: Callable[[ReportFigures, Translator, str], Markup]


# ---- what the page and the exports offer -------------------------------------------------------


def report_sections(figures: ReportFigures, tr: Translator) -> tuple[Section, ...]:
    return tuple(_section(figures, tr, slug) for slug in REPORTS)


def report_table(figures: ReportFigures, tr: Translator, slug: str) -> ReportTable | None:
    """One table, for an export; None for a name that is not one of ours."""
    report = REPORTS.get(slug)
    return report.table(figures, tr, tr.gettext(report.title)) if report else None


def _section(figures: ReportFigures, tr: Translator, slug: str) -> Section:
    report = REPORTS[slug]
    title = tr.gettext(report.title)
    table = report.table(figures, tr, title)
    cells = tuple(tuple(display(tr, column, value) for column, value in
                        zip(table.columns, row, strict=True)) for row in table.rows)
    periods = tuple((str(row[0]), period_name(tr, str(row[0])))
                    for row in reversed(table.rows)) if table.by_period else ()
    return Section(table, tr.gettext(report.intro), report.chart(figures, tr, title), cells,
                   periods)


# ---- tables -----------------------------------------------------------------------------------


def _quarters(figures: ReportFigures, tr: Translator, title: str) -> ReportTable:
    return _trajectories("outcomes-quarter", title, figures.quarters, tr)


def _months(figures: ReportFigures, tr: Translator, title: str) -> ReportTable:
    return _trajectories("outcomes-month", title, figures.months, tr)


def _trajectories(slug: str, title: str, rows: Sequence[TrajectoryPeriod], tr: Translator
                  ) -> ReportTable:
    _ = tr.gettext
    without = any(r.ended_without_outcome for r in rows)
    columns = [Column(_("Periode"), Kind.PERIOD), Column(_("Gestart")), Column(_("Beëindigd"))]
    for outcome in CaseOutcome:
        name = _cap(_(labels.OUTCOME[outcome]))
        columns += [Column(name), Column(tr.format(_("{outcome} (%)"), outcome=name),
                                         Kind.PERCENT)]
    if without:
        columns.append(Column(_("Zonder uitkomst")))
    columns.append(Column(_("Actief op het einde")))
    values = []
    for r in rows:
        row: list[Value] = [r.period, r.started, r.ended]
        for outcome in CaseOutcome:
            row += [r.ended_by_outcome.get(outcome.value, 0), r.share(outcome)]
        if without:
            row.append(r.ended_without_outcome)
        values.append((*row, r.active_at_end))
    return ReportTable(slug, title, tuple(columns), tuple(values))


def _caseload(figures: ReportFigures, tr: Translator, title: str) -> ReportTable:
    _ = tr.gettext
    statuses = (CaseStatus.NEW, CaseStatus.ACTIVE, CaseStatus.NAZORG)
    columns = (Column(_("Begeleider"), Kind.TEXT),
               *(Column(_cap(_(labels.CASE_STATUS[s]))) for s in statuses),
               Column(_("Totaal")))
    rows = tuple((r.name if r.counselor_id is not None else _("Nog niet toegewezen"),
                  r.new, r.active, r.nazorg, r.total) for r in figures.caseload)
    return ReportTable("caseload", title, columns, rows)


def _appointments(figures: ReportFigures, tr: Translator, title: str) -> ReportTable:
    _ = tr.gettext
    status, s = labels.APPOINTMENT_STATUS, AppointmentStatus
    columns = (Column(_("Maand"), Kind.PERIOD), Column(_("Afspraken")),
               Column(_("Bevestigd door de cliënt")),
               *(Column(_cap(_(status[key]))) for key in (
                   s.CANCEL_REQUESTED, s.RESCHEDULE_REQUESTED, s.CANCELLED, s.ATTENDED,
                   s.NO_SHOW)),
               Column(_("No-show (%)"), Kind.PERCENT))
    rows = tuple((a.period, a.total, a.confirmed, a.cancel_requested, a.reschedule_requested,
                  a.cancelled, a.attended, a.no_show, a.no_show_rate)
                 for a in figures.appointments)
    return ReportTable("appointments-month", title, columns, rows)


def _checkins(figures: ReportFigures, tr: Translator, title: str) -> ReportTable:
    _ = tr.gettext
    columns = (Column(_("Maand"), Kind.PERIOD), Column(_("Verstuurd")),
               *(Column(_cap(_(labels.CHECKIN_ANSWER[a]))) for a in CheckinAnswer),
               Column(_("Geen antwoord")))
    rows: tuple[tuple[Value, ...], ...] = tuple(
        (c.period, c.sent, *(c.answers.get(a.value, 0) for a in CheckinAnswer), c.unanswered)
        for c in figures.checkins)
    return ReportTable("checkins-month", title, columns, rows)


def _replies(figures: ReportFigures, tr: Translator, title: str) -> ReportTable:
    _ = tr.gettext
    columns = (Column(_("Maand"), Kind.PERIOD), Column(_("Doorgegeven aan een persoon")),
               Column(_("Met antwoord van een persoon")),
               Column(_("Mediaan (minuten)"), Kind.MINUTES),
               Column(_("90e percentiel (minuten)"), Kind.MINUTES),
               Column(_("Nog geen antwoord")))
    rows = tuple((r.period, r.escalations, r.replied, r.median_minutes, r.p90_minutes,
                  r.unanswered) for r in figures.replies)
    return ReportTable("reply-times-month", title, columns, rows)


def _handovers(figures: ReportFigures, tr: Translator, title: str) -> ReportTable:
    _ = tr.gettext
    columns = (Column(_("Taal"), Kind.TEXT), Column(_("Taalcode"), Kind.TEXT),
               Column(_("Cliënten met een gesprek")), Column(_("Doorgegeven aan een persoon")),
               Column(_("Aandeel (%)"), Kind.PERCENT))
    rows = tuple((language_name(tr, h.language), h.language, h.clients, h.handed_over, h.share)
                 for h in figures.handovers)
    return ReportTable("handovers-language", title, columns, rows)


# ---- charts -----------------------------------------------------------------------------------


def _quarters_chart(figures: ReportFigures, tr: Translator, title: str) -> Markup:
    return _outcomes_chart("outcomes-quarter", title, figures.quarters, tr)


def _months_chart(figures: ReportFigures, tr: Translator, title: str) -> Markup:
    rows = figures.months
    return line_chart(
        "chart-outcomes-month", title,
        _span(tr, tr.gettext("Lijnen: per maand het aantal gestarte en beëindigde trajecten, "
                             "van {first} tot {last}. De tabel geeft alle cijfers."), rows),
        [short_period_name(tr, r.period) for r in rows],
        [Series(tr.gettext("Gestart"), tuple(r.started for r in rows), BLUE),
         Series(tr.gettext("Beëindigd"), tuple(r.ended for r in rows), ORANGE)],
        number=_number(tr))


def _outcomes_chart(slug: str, title: str, rows: Sequence[TrajectoryPeriod], tr: Translator
                    ) -> Markup:
    series = [Series(_cap(tr.gettext(labels.OUTCOME[o])),
                     tuple(r.ended_by_outcome.get(o.value, 0) for r in rows), OUTCOME_COLOURS[o])
              for o in CaseOutcome]
    if any(r.ended_without_outcome for r in rows):
        series.append(Series(tr.gettext("Zonder uitkomst"),
                             tuple(r.ended_without_outcome for r in rows), GREY))
    return stacked_columns(
        f"chart-{slug}", title,
        _span(tr, tr.gettext("Gestapelde staven: per periode de beëindigde trajecten per "
                             "uitkomst, van {first} tot {last}. De tabel geeft alle cijfers en "
                             "percentages."), rows),
        [short_period_name(tr, r.period) for r in rows], series, number=_number(tr))


CHART_BARS = 30  # a chart of hundreds of counselors says nothing: the busiest, and nobody's


def _caseload_chart(figures: ReportFigures, tr: Translator, title: str) -> Markup:
    table = _caseload(figures, tr, title)
    ranked = sorted(range(len(figures.caseload) - 1),
                    key=lambda i: -figures.caseload[i].total)[:CHART_BARS]
    keep = [*sorted(ranked), len(figures.caseload) - 1]  # the unassigned row is last
    rows = [figures.caseload[i] for i in keep]
    table = replace(table, rows=tuple(table.rows[i] for i in keep))
    statuses = ((CaseStatus.NEW, GREY, [r.new for r in rows]),
                (CaseStatus.ACTIVE, BLUE, [r.active for r in rows]),
                (CaseStatus.NAZORG, GREEN, [r.nazorg for r in rows]))
    return horizontal_bars(
        "chart-caseload", title,
        tr.gettext("Liggende staven: per begeleider de open dossiers, opgedeeld in nieuw, "
                   "actief en nazorg. De tabel geeft de cijfers."),
        [str(row[0]) for row in table.rows],
        [Series(_cap(tr.gettext(labels.CASE_STATUS[status])), tuple(counts), colour)
         for status, colour, counts in statuses],
        number=_number(tr))


def _appointments_chart(figures: ReportFigures, tr: Translator, title: str) -> Markup:
    rows = figures.appointments
    status, s = labels.APPOINTMENT_STATUS, AppointmentStatus
    series = [
        Series(_cap(tr.gettext(status[s.ATTENDED])), tuple(r.attended for r in rows), GREEN),
        Series(_cap(tr.gettext(status[s.NO_SHOW])), tuple(r.no_show for r in rows), RED),
        Series(_cap(tr.gettext(status[s.CANCELLED])), tuple(r.cancelled for r in rows), GREY)]
    series.append(Series(tr.gettext("Nog zonder uitkomst"),
                         tuple(r.total - r.attended - r.no_show - r.cancelled for r in rows),
                         BLUE))
    return stacked_columns(
        "chart-appointments-month", title,
        _span(tr, tr.gettext("Gestapelde staven: per maand de afspraken naar hoe ze afliepen, "
                             "van {first} tot {last}. De tabel geeft ook de antwoorden van "
                             "cliënten en het no-showpercentage."), rows),
        [short_period_name(tr, r.period) for r in rows], series, number=_number(tr))


def _checkins_chart(figures: ReportFigures, tr: Translator, title: str) -> Markup:
    rows = figures.checkins
    series = [Series(_cap(tr.gettext(labels.CHECKIN_ANSWER[a])),
                     tuple(r.answers.get(a.value, 0) for r in rows), ANSWER_COLOURS[a])
              for a in CheckinAnswer]
    series.append(Series(tr.gettext("Geen antwoord"), tuple(r.unanswered for r in rows), GREY))
    return stacked_columns(
        "chart-checkins-month", title,
        _span(tr, tr.gettext("Gestapelde staven: per maand de verstuurde nazorgvragen naar het "
                             "antwoord, van {first} tot {last}. De tabel geeft de cijfers."),
              rows),
        [short_period_name(tr, r.period) for r in rows], series, number=_number(tr))


def _replies_chart(figures: ReportFigures, tr: Translator, title: str) -> Markup:
    rows = figures.replies
    return line_chart(
        "chart-reply-times-month", title,
        _span(tr, tr.gettext("Lijnen: per maand de mediaan en het 90e percentiel van de "
                             "minuten tot het eerste antwoord van een persoon, van {first} tot "
                             "{last}. De tabel geeft de cijfers."), rows),
        [short_period_name(tr, r.period) for r in rows],
        [Series(tr.gettext("Mediaan (minuten)"), tuple(r.median_minutes for r in rows), BLUE),
         Series(tr.gettext("90e percentiel (minuten)"), tuple(r.p90_minutes for r in rows),
                ORANGE)],
        number=_number(tr))


def _handovers_chart(figures: ReportFigures, tr: Translator, title: str) -> Markup:
    rows = figures.handovers
    return horizontal_bars(
        "chart-handovers-language", title,
        tr.gettext("Liggende staven: per taal het percentage cliënten met een gesprek dat aan "
                   "een persoon werd doorgegeven. De tabel geeft de aantallen."),
        [language_name(tr, r.language) for r in rows],
        [Series(tr.gettext("Aandeel (%)"), tuple(r.share for r in rows), BLUE)],
        unit="%", maximum=100, number=_number(tr))


REPORTS: dict[str, _Report] = {
    "outcomes-quarter": _Report(
        N_("Trajecten per kwartaal"),
        N_("Gestarte en beëindigde trajecten, per uitkomst met het aandeel van alle trajecten "
           "die in dat kwartaal eindigden, en hoeveel er op het einde van het kwartaal nog "
           "liepen (voor het lopende kwartaal: nu)."),
        _quarters, _quarters_chart),
    "outcomes-month": _Report(
        N_("Trajecten per maand"),
        N_("Dezelfde cijfers per maand."), _months, _months_chart),
    "caseload": _Report(
        N_("Open dossiers per begeleider"),
        N_("Dossiers die nieuw, in actieve begeleiding of in nazorg zijn, per begeleider; "
           "dossiers die nog niemand nam apart."), _caseload, _caseload_chart),
    "appointments-month": _Report(
        N_("Afspraken per maand"),
        N_("Afspraken per maand waarin ze vallen: wat cliënten op de herinnering "
           "antwoordden, en hoe ze afliepen. No-show: niet gekomen, als percentage van de "
           "afspraken waarvan genoteerd is of de cliënt kwam."),
        _appointments, _appointments_chart),
    "checkins-month": _Report(
        N_("Nazorg: antwoorden per maand"),
        N_("De vraag \u201choe gaat het op het werk?\u201d per maand waarin ze verstuurd werd, "
           "en wat cliënten antwoordden."), _checkins, _checkins_chart),
    "reply-times-month": _Report(
        N_("Wachttijd tot een persoon antwoordt"),
        N_("Per doorgifte aan een persoon: de minuten tot het eerste bericht van een "
           "begeleider aan die cliënt, per maand van de doorgifte."), _replies, _replies_chart),
    "handovers-language": _Report(
        N_("Doorgegeven aan een persoon, per taal"),
        N_("Cliënten die minstens één bericht met Werkmaat wisselden, en hoeveel van hen ooit "
           "aan een persoon werden doorgegeven (taal: de taal van de cliënt nu)."),
        _handovers, _handovers_chart),
}


# ---- formatting -------------------------------------------------------------------------------


def display(tr: Translator, column: Column, value: Value) -> str:
    """A cell as the page shows it, in the page's locale."""
    if value is None or value == "":
        return "—"
    if column.kind == Kind.PERIOD:
        return period_name(tr, str(value))
    if column.kind == Kind.TEXT or isinstance(value, str):
        return str(value)
    if column.kind == Kind.PERCENT:
        return format_percent(value / 100, "#,##0.0%", locale=tr.locale)
    if column.kind == Kind.MINUTES:
        return format_decimal(value, "#,##0.0", locale=tr.locale)
    return format_decimal(value, "#,##0", locale=tr.locale)


def period_name(tr: Translator, key: str) -> str:
    """"2026-Q3" → "K3 2026", "2026-11" → "november 2026"."""
    year, part = key.split("-", 1)
    if part.startswith("Q"):
        return tr.format(tr.gettext("K{quarter} {year}"), quarter=part[1:], year=year)
    return format_date(date(int(year), int(part), 1), "LLLL yyyy", locale=tr.locale)


def short_period_name(tr: Translator, key: str) -> str:
    if "Q" in key:
        return period_name(tr, key)
    year, month = key.split("-", 1)
    return format_date(date(int(year), int(month), 1), "LLL yyyy", locale=tr.locale)


def language_name(tr: Translator, code: str) -> str:
    try:
        return Locale.parse(code).get_display_name(tr.locale) or code
    except (ValueError, UnknownLocaleError):
        return code


def in_period(key: str, period: str) -> bool:
    """Whether a row's period is the one asked for, or a month of the quarter asked for."""
    if key == period:
        return True
    year, _, part = period.partition("-Q")
    if not part or not key.startswith(f"{year}-") or "Q" in key:
        return False
    return (int(key[5:]) - 1) // 3 + 1 == int(part)


def valid_period(period: str) -> bool:
    return bool(PERIOD.match(period))


def _span(tr: Translator, template: str, rows: Sequence[object]) -> str:
    keys = [str(getattr(r, "period", "")) for r in rows]
    if not keys:
        return tr.format(template, first="—", last="—")
    return tr.format(template, first=period_name(tr, keys[0]), last=period_name(tr, keys[-1]))


def _number(tr: Translator) -> Callable[[float], str]:
    return lambda value: format_decimal(value, "#,##0.#", locale=tr.locale)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


# ---- CSV --------------------------------------------------------------------------------------


def csv_bytes(table: ReportTable) -> bytes:
    """The table as a Belgian spreadsheet opens it: BOM, `;`, decimal comma, no formulas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(column.title) for column in table.columns])
    for row in table.rows:
        writer.writerow([_csv_cell(column, value)
                         for column, value in zip(table.columns, row, strict=True)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def neutralise(text: str) -> str:
    """A leading apostrophe for text a spreadsheet would take for a formula (CSV injection)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_cell(column: Column, value: Value) -> str:
    if value is None:
        return ""
    if column.kind in (Kind.PERCENT, Kind.MINUTES) and not isinstance(value, str):
        return f"{value:.1f}".replace(".", ",")
    return neutralise(str(value))


__all__ = [
    "REPORTS", "Column", "Kind", "ReportTable", "Section", "csv_bytes", "display",
    "in_period", "language_name", "neutralise", "period_name", "report_sections",
    "report_table", "valid_period",
]
