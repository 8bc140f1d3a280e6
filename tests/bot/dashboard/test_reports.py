"""Reports: figures from a store with known records (SQLite and PostgreSQL), snapshots, charts,
the reports page and its CSV exports."""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from bot.dashboard.charts import PALETTE, Series, horizontal_bars, line_chart, stacked_columns
from bot.dashboard.pages import DashboardServices
from bot.dashboard.report_routes import FiguresKeeper
from bot.dashboard.reports import REPORTS, csv_bytes, in_period, neutralise, report_table
from bot.web import create_app
from dialogues.i18n import Translator
from storage.records import (
    AppointmentRecord,
    AppointmentStatus,
    AuditRecord,
    Author,
    CaseOutcome,
    CaseRecord,
    CaseStatus,
    CheckinAnswer,
    CheckinRecord,
    ContractType,
    CounselorRecord,
    CounselorRole,
    Direction,
    EscalationReason,
    EscalationRecord,
    InteractionRecord,
    JobRecord,
    TaskPriority,
)
from storage.sql import Database
from storage.sql.report_figures import (
    ReportFigures,
    ReportSnapshots,
    compute_figures,
    month_periods,
    quarter_periods,
)
from tests.bot.dashboard.site import Site, csrf_of, log_in, make_site

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
BRUSSELS = ZoneInfo("Europe/Brussels")
FORMULA_NAME = "=HYPERLINK(\"http://example.org\";\"klik\")"


def at(text: str) -> datetime:
    """A moment written in UTC: '2026-09-30 21:30'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BRUSSELS)


@dataclass
class Known:
    """The ids of what `fill` wrote."""

    counselors: dict[str, int]
    clients: dict[str, int]


def fill(database: Database, people: dict[str, int] | None = None) -> Known:
    """A small programme whose figures are worked out by hand in the tests below.

    `people`: the ids of counselors "sara" and "tom" where the store has them already.

    Time-zone edges on purpose: case c3 closes at 22:30 UTC on 30 September, which is already
    1 October in Brussels (fourth quarter); case c4 opens at 23:00 UTC on 30 June, which is
    1 July (third quarter); appointment a6 starts on 31 October UTC, 1 November in Brussels.
    """
    with database() as uow:
        staff = (("sara", "Sara Peeters", CounselorRole.COUNSELOR),
                 ("tom", "Tom Claes", CounselorRole.COUNSELOR),
                 ("coord", "Chris Coördinator", CounselorRole.COORDINATOR))
        people = dict(people or {login: uow.counselors.add(CounselorRecord(name, role, NOW)).id
                                 for login, name, role in staff})
        people["formula"] = uow.counselors.add(CounselorRecord(
            FORMULA_NAME, CounselorRole.COUNSELOR, NOW)).id
        languages = {"c1": "nl", "c2": "nl", "c3": "ar", "c4": "ar", "c5": "en", "c6": "nl",
                     "c7": "nl", "c8": "nl", "c9": "en"}
        clients = {key: uow.clients.add("web", f"report-{key}", language, at("2024-01-01 09:00")
                                        ).id for key, language in languages.items()}
        cases = (  # client, opened, status, counselor, outcome, closed
            ("c1", "2026-07-03 09:00", CaseStatus.CLOSED, "sara", CaseOutcome.LASTING_JOB,
             "2026-08-15 10:00"),
            ("c2", "2026-07-10 09:00", CaseStatus.CLOSED, "tom", CaseOutcome.STOPPED_BY_CLIENT,
             "2026-09-30 21:30"),
            ("c3", "2026-08-01 09:00", CaseStatus.CLOSED, "sara", CaseOutcome.TRAINING,
             "2026-09-30 22:30"),
            ("c4", "2026-06-30 23:00", CaseStatus.ACTIVE, "sara", None, None),
            ("c5", "2026-10-05 09:00", CaseStatus.NEW, None, None, None),
            ("c6", "2026-09-01 09:00", CaseStatus.NAZORG, "tom", None, None),
            ("c7", "2024-05-01 09:00", CaseStatus.CLOSED, "tom", CaseOutcome.STOPPED_PRACTICAL,
             "2024-06-01 09:00"),
            ("c8", "2026-07-15 09:00", CaseStatus.CLOSED, "tom", CaseOutcome.LASTING_JOB,
             "2026-08-20 09:00"),
        )
        for client, opened, status, who, outcome, closed in cases:
            uow.cases.add(CaseRecord(clients[client], at(opened), status=status,
                                     counselor_id=people[who] if who else None,
                                     outcome=outcome, closed_at=at(closed) if closed else None))
        said = (  # client, author, when
            ("c1", Author.COUNSELOR, "2026-10-01 09:00"),  # before the escalation: not a reply
            ("c1", Author.CLIENT, "2026-10-01 10:05"),  # not a person's reply
            ("c1", Author.COUNSELOR, "2026-10-01 10:12"),  # 12 minutes
            ("c1", Author.COUNSELOR, "2026-10-01 10:30"),
            ("c2", Author.COUNSELOR, "2026-10-02 10:30"),  # 30 minutes
            ("c3", Author.COUNSELOR, "2026-10-03 12:00"),  # 120 minutes
            ("c4", Author.COUNSELOR, "2026-10-04 09:59"),  # before: c4 never got a reply
            ("c1", Author.COUNSELOR, "2026-10-20 11:00"),  # 60 minutes after the second one
            ("c5", Author.COUNSELOR, "2026-11-05 10:05"),  # 5 minutes, November
            ("c6", Author.CLIENT, "2026-09-02 08:00"),
            ("c9", Author.BOT, "2026-09-03 08:00"),
        )
        for client, author, moment in said:
            uow.interactions.add(InteractionRecord(
                clients[client], Direction.IN if author == Author.CLIENT else Direction.OUT,
                author, "web", at(moment), text="…"))
        for client, moment in (("c1", "2026-10-01 10:00"), ("c2", "2026-10-02 10:00"),
                               ("c3", "2026-10-03 10:00"), ("c4", "2026-10-04 10:00"),
                               ("c1", "2026-10-20 10:00"), ("c5", "2026-11-05 10:00")):
            uow.escalations.add(EscalationRecord(
                clients[client], EscalationReason.ASKED_FOR_PERSON, TaskPriority.NORMAL,
                languages[client], "", at(moment)))
        S = AppointmentStatus
        appointments = (  # starts (Brussels), status, the client's answer
            (local("2026-10-06 09:00"), S.ATTENDED, S.CONFIRMED),
            (local("2026-10-07 09:00"), S.NO_SHOW, S.CONFIRMED),
            (local("2026-10-08 09:00"), S.NO_SHOW, None),
            (local("2026-10-09 09:00"), S.CANCELLED, S.CANCEL_REQUESTED),
            (local("2026-10-10 09:00"), S.ATTENDED, S.RESCHEDULE_REQUESTED),
            (local("2026-10-12 09:00"), S.ATTENDED, None),
            (at("2026-10-31 23:30"), S.ATTENDED, None),  # 1 November in Brussels
        )
        for starts_at, status, answer in appointments:
            uow.appointments.add(AppointmentRecord(clients["c4"], starts_at, NOW, status=status,
                                                   client_answer=answer))
        job = uow.jobs.add(JobRecord(clients["c6"], date(2026, 9, 1), ContractType.PERMANENT,
                                     NOW))
        A = CheckinAnswer
        for number, (sent, answer) in enumerate((
                ("2026-10-01 08:00", A.GOOD), ("2026-10-08 08:00", A.GOOD),
                ("2026-10-15 08:00", A.PROBLEM), ("2026-10-22 08:00", None),
                ("2026-11-01 08:00", A.JOB_LOST)), start=1):
            uow.checkins.add(CheckinRecord(job.id, clients["c6"], number, at(sent), answer))
        uow.commit()
    return Known(people, clients)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    url = (f"sqlite:///{tmp_path / 'reports.db'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_url"))
    db = Database(url)
    db.upgrade()
    yield db
    db.dispose()


@pytest.fixture
def figures(database: Database) -> ReportFigures:
    fill(database)
    return compute_figures(database, "Europe/Brussels", NOW)


# ---- periods ----------------------------------------------------------------------------------


def test_periods_are_the_programmes_months_and_quarters():
    months = month_periods(NOW, "Europe/Brussels", 24)
    assert len(months) == 24 and months[0].key == "2024-12" and months[-1].key == "2026-11"
    assert months[-1].start == local("2026-11-01 00:00") and months[-1].end == local(
        "2026-12-01 00:00")
    quarters = quarter_periods(NOW, "Europe/Brussels", 8)
    assert [q.key for q in quarters][:2] == ["2025-Q1", "2025-Q2"]
    assert quarters[-1].key == "2026-Q4" and quarters[-2].end == local("2026-10-01 00:00")


# ---- figures ----------------------------------------------------------------------------------


def test_trajectories_per_quarter(figures: ReportFigures):
    quarters = {q.period: q for q in figures.quarters}
    assert len(figures.quarters) == 8
    q3, q4, q2 = quarters["2026-Q3"], quarters["2026-Q4"], quarters["2026-Q2"]
    assert (q3.started, q3.ended, q3.active_at_end) == (6, 3, 3)
    assert q3.ended_by_outcome == {"lasting_job": 2, "training": 0, "independent": 0,
                                   "stopped_practical": 0, "stopped_by_client": 1}
    assert q3.share(CaseOutcome.LASTING_JOB) == 66.7
    assert q3.share(CaseOutcome.STOPPED_BY_CLIENT) == 33.3
    assert q3.share(CaseOutcome.TRAINING) == 0.0
    assert (q4.started, q4.ended, q4.active_at_end) == (1, 1, 3)
    assert q4.share(CaseOutcome.TRAINING) == 100.0
    assert (q2.started, q2.ended, q2.active_at_end) == (0, 0, 0)
    assert q2.share(CaseOutcome.TRAINING) is None
    assert all(q.ended_without_outcome == 0 for q in figures.quarters)


def test_trajectories_per_month(figures: ReportFigures):
    months = {p.period: p for p in figures.months}
    assert (months["2026-07"].started, months["2026-07"].ended) == (4, 0)
    assert months["2026-09"].ended_by_outcome["stopped_by_client"] == 1
    assert months["2026-09"].ended == 1
    assert months["2026-10"].ended_by_outcome["training"] == 1
    assert months["2026-09"].active_at_end == 3  # c3 closed after midnight in Brussels
    assert months["2026-11"].active_at_end == 3


def test_caseload_per_counselor(figures: ReportFigures):
    rows = [(r.name, r.new, r.active, r.nazorg, r.total) for r in figures.caseload]
    assert rows == [(FORMULA_NAME, 0, 0, 0, 0), ("Sara Peeters", 0, 1, 0, 1),
                    ("Tom Claes", 0, 0, 1, 1), ("", 1, 0, 0, 1)]  # by name; nobody's last
    assert figures.caseload[-1].counselor_id is None


def test_appointments_per_month(figures: ReportFigures):
    months = {a.period: a for a in figures.appointments}
    october = months["2026-10"]
    assert (october.total, october.confirmed, october.cancel_requested,
            october.reschedule_requested, october.cancelled, october.attended,
            october.no_show) == (6, 2, 1, 1, 1, 3, 2)
    assert october.no_show_rate == 40.0
    assert (months["2026-11"].total, months["2026-11"].no_show_rate) == (1, 0.0)
    assert months["2026-09"].no_show_rate is None


def test_checkins_per_month(figures: ReportFigures):
    months = {c.period: c for c in figures.checkins}
    assert months["2026-10"].sent == 4 and months["2026-10"].unanswered == 1
    assert months["2026-10"].answers == {"good": 2, "so_so": 0, "problem": 1, "job_lost": 0}
    assert months["2026-11"].answers["job_lost"] == 1 and months["2026-11"].sent == 1


def test_time_to_the_first_human_reply(figures: ReportFigures):
    months = {r.period: r for r in figures.replies}
    october = months["2026-10"]
    assert (october.escalations, october.replied, october.unanswered) == (5, 4, 1)
    assert october.median_minutes == 45.0  # 12, 30, 60, 120
    assert october.p90_minutes == 102.0  # 60 + 0.7 × (120 − 60)
    november = months["2026-11"]
    assert (november.escalations, november.median_minutes, november.p90_minutes) == (1, 5.0, 5.0)
    assert months["2026-09"].median_minutes is None


def test_share_handed_to_a_person_per_language(figures: ReportFigures):
    shares = {h.language: (h.clients, h.handed_over, h.share) for h in figures.handovers}
    assert shares == {"nl": (3, 2, 66.7), "ar": (2, 2, 100.0), "en": (2, 1, 50.0)}


def test_an_empty_store_has_zeros_not_errors(database: Database):
    figures = compute_figures(database, "Europe/Brussels", NOW, months=3, quarters=2)
    assert [p.period for p in figures.months] == ["2026-09", "2026-10", "2026-11"]
    assert all(p.started == 0 and p.active_at_end == 0 for p in figures.months)
    assert figures.caseload[-1].total == 0 and figures.handovers == ()
    assert all(r.median_minutes is None for r in figures.replies)


# ---- snapshots --------------------------------------------------------------------------------


def test_snapshots_round_trip_and_keep_only_the_last_few(figures: ReportFigures,
                                                         database: Database):
    snapshots = ReportSnapshots(database, keep=2)
    assert snapshots.latest() is None
    for minutes in (0, 10, 20):
        snapshots.save(replace_time(figures, NOW + timedelta(minutes=minutes)))
    latest = snapshots.latest()
    assert latest == replace_time(figures, NOW + timedelta(minutes=20))
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM report_snapshots").scalar() == 2


def replace_time(figures: ReportFigures, moment: datetime) -> ReportFigures:
    from dataclasses import replace

    return replace(figures, computed_at=moment)


# ---- charts -----------------------------------------------------------------------------------


def contrast_with_white(colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(int(colour[i:i + 2], 16) / 255) for i in (1, 3, 5))
    return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)


def test_every_chart_colour_stands_out_from_white():
    assert all(contrast_with_white(colour) >= 3 for colour in PALETTE)


def test_charts_are_accessible_images_with_their_text_escaped():
    hostile = '<script>alert("x")</script>'
    charts = [
        stacked_columns("c1", hostile, "desc & more", ["K1 2026", hostile],
                        [Series(hostile, (1, 2)), Series("b", (None, 3))]),
        line_chart("c2", "t", "d", ["a", "b", "c"], [Series(hostile, (1, None, 3))]),
        horizontal_bars("c3", "t", "d", [hostile * 3], [Series("n", (5,))], unit="%",
                        maximum=100),
    ]
    for chart in charts:
        assert chart.startswith("<svg") and 'role="img"' in chart
        assert "<script" not in chart and "style=" not in chart
    assert '<title id="c1-title">&lt;script&gt;' in charts[0]
    assert 'aria-labelledby="c1-title c1-desc"' in charts[0]
    assert "desc &amp; more" in charts[0]
    assert charts[1].count("<polyline") == 0  # two lone points: no line across the gap
    assert charts[1].count("<circle") == 2
    assert "…" in charts[2]  # a long name is shortened, and whole in its tooltip


def test_an_empty_chart_still_draws():
    chart = stacked_columns("e", "t", "d", [], [])
    assert chart.startswith("<svg") and chart.endswith("</svg>")


# ---- tables and CSV ---------------------------------------------------------------------------


def parse(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())  # the BOM Excel needs for UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_formula_like_text_is_neutralised():
    for text in ("=1+1", "+32 470", "-2", "@SUM(A1)", "\tx"):
        assert neutralise(text) == "'" + text
    assert neutralise("Sara") == "Sara" and neutralise("") == ""


def test_every_table_exports_as_csv(figures: ReportFigures):
    tr = Translator("nl", domain="dashboard")
    for slug in REPORTS:
        table = report_table(figures, tr, slug)
        assert table is not None
        rows = parse(csv_bytes(table))
        assert len(rows) == len(table.rows) + 1
        assert all(len(row) == len(table.columns) for row in rows)
    assert report_table(figures, tr, "nothing") is None


def test_a_quarter_selects_its_months():
    assert in_period("2026-Q3", "2026-Q3") and in_period("2026-08", "2026-Q3")
    assert not in_period("2026-10", "2026-Q3") and not in_period("2025-08", "2026-Q3")
    assert not in_period("2026-Q3", "2026-08")


# ---- the page and its exports -----------------------------------------------------------------


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class ReportsSite:
    site: Site
    app: object
    clock: Clock
    known: Known

    def browser(self, login: str | None = None) -> TestClient:
        browser = TestClient(self.app, follow_redirects=False)  # type: ignore[arg-type]
        if login:
            log_in(browser, login)
        return browser


@pytest.fixture
def reports(tmp_path, nlu, monkeypatch) -> ReportsSite:  # type: ignore[no-untyped-def]
    """The dashboard on a clock stopped at NOW, over the known records."""
    monkeypatch.chdir(tmp_path)
    site = make_site(tmp_path, nlu)
    known = fill(site.werkmaat.database, {login: c.id for login, c in site.counselors.items()})
    clock = Clock(NOW)
    services = DashboardServices(site.werkmaat.database, site.werkmaat.settings, clock)
    return ReportsSite(site, create_app(site.werkmaat, dashboard=services), clock, known)


def audit(reports: ReportsSite, action: str) -> list[AuditRecord]:
    with reports.site.werkmaat.database() as uow:
        return [a for a in uow.audit.recent(200) if a.action == action]


def test_coordinators_and_admins_see_the_reports(reports: ReportsSite):
    for login in ("coord", "admin"):
        page = reports.browser(login).get("/dashboard/reports")
        assert page.status_code == 200, page.text[:500]
        assert page.text.count("<svg") == len(REPORTS) and 'role="img"' in page.text
        assert "style=" not in page.text and "<script" not in page.text  # the CSP allows none
        assert "K3 2026" in page.text and "66,7%" in page.text
        assert "Cijfers van 20/11/2026 13:00" in page.text
        assert '<th scope="col"' in page.text and "<caption" in page.text
    reads = audit(reports, "reports.read")
    assert len(reads) == 2 and reads[0].subject == "reports"


def test_counselors_find_no_reports_and_strangers_must_log_in(reports: ReportsSite):
    sara = reports.browser("sara")
    queue = sara.get("/dashboard")
    for answer in (sara.get("/dashboard/reports"),
                   sara.get("/dashboard/reports/outcomes-quarter.csv"),
                   sara.post("/dashboard/reports/refresh", data={"csrf": csrf_of(queue.text)})):
        assert answer.status_code == 404
    assert audit(reports, "reports.read.refused")
    anonymous = reports.browser().get("/dashboard/reports")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/dashboard/login?next=")


def test_a_coordinator_exports_the_quarters_outcomes(reports: ReportsSite):
    coord = reports.browser("coord")
    assert coord.get("/dashboard/reports").status_code == 200
    answer = coord.get("/dashboard/reports/outcomes-quarter.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"] == (
        'attachment; filename="werkmaat-outcomes-quarter-20261120-1300.csv"')
    header, *rows = parse(answer.content)
    assert header[:3] == ["Periode", "Gestart", "Beëindigd"]
    assert [row[0] for row in rows] == [f"{year}-Q{q}" for year in (2025, 2026)
                                        for q in range(1, 5)]
    q3 = dict(zip(header, rows[6], strict=True))
    assert (q3["Gestart"], q3["Beëindigd"], q3["Actief op het einde"]) == ("6", "3", "3")
    assert (q3["Duurzaam werk"], q3["Duurzaam werk (%)"]) == ("2", "66,7")
    assert (q3["Gestopt door de cliënt"], q3["Gestopt door de cliënt (%)"]) == ("1", "33,3")
    exports = audit(reports, "reports.export")
    assert exports[0].subject == "report:outcomes-quarter" and exports[0].details == {}


def test_an_export_of_one_period(reports: ReportsSite):
    coord = reports.browser("coord")
    answer = coord.get("/dashboard/reports/outcomes-quarter.csv", params={"period": "2026-Q3"})
    header, *rows = parse(answer.content)
    assert [row[0] for row in rows] == ["2026-Q3"]
    assert 'filename="werkmaat-outcomes-quarter-2026-Q3-' in answer.headers[
        "content-disposition"]
    months = parse(coord.get("/dashboard/reports/outcomes-month.csv",
                             params={"period": "2026-Q3"}).content)
    assert [row[0] for row in months[1:]] == ["2026-07", "2026-08", "2026-09"]
    october = parse(coord.get("/dashboard/reports/appointments-month.csv",
                              params={"period": "2026-10"}).content)
    assert october[1] == ["2026-10", "6", "2", "1", "1", "1", "3", "2", "40,0"]
    assert audit(reports, "reports.export")[0].details == {"period": "2026-10"}
    assert coord.get("/dashboard/reports/outcomes-quarter.csv",
                     params={"period": "=1+1"}).status_code == 404
    assert coord.get("/dashboard/reports/salaries.csv").status_code == 404


def test_a_formula_in_a_counselors_name_stays_text(reports: ReportsSite):
    rows = parse(reports.browser("coord").get("/dashboard/reports/caseload.csv").content)
    names = [row[0] for row in rows[1:]]
    assert "'" + FORMULA_NAME in names and FORMULA_NAME not in names
    assert names[-1] == "Nog niet toegewezen"


def test_refresh_needs_the_csrf_token_and_computes_at_once(reports: ReportsSite):
    coord = reports.browser("coord")
    page = coord.get("/dashboard/reports")
    with reports.site.werkmaat.database() as uow:
        uow.cases.add(CaseRecord(reports.known.clients["c9"], at("2026-11-10 09:00")))
        uow.commit()

    def started_in_q4() -> str:
        rows = parse(coord.get("/dashboard/reports/outcomes-quarter.csv",
                               params={"period": "2026-Q4"}).content)
        return rows[1][1]

    assert started_in_q4() == "1"  # the snapshot is fresh: served as it is
    refused = coord.post("/dashboard/reports/refresh", data={})
    assert refused.status_code == 403
    done = coord.post("/dashboard/reports/refresh", data={"csrf": csrf_of(page.text)})
    assert done.status_code == 303 and done.headers["location"].startswith("/dashboard/reports")
    assert started_in_q4() == "2"
    assert audit(reports, "reports.refresh")


def test_old_figures_are_shown_while_fresh_ones_are_computed(reports: ReportsSite):
    coord = reports.browser("coord")
    assert coord.get("/dashboard/reports").status_code == 200
    reports.clock.now = NOW + timedelta(minutes=20)
    page = coord.get("/dashboard/reports")
    assert "Cijfers van 20/11/2026 13:00" in page.text
    assert "Nieuwere cijfers worden nu berekend" in page.text
    snapshots = ReportSnapshots(reports.site.werkmaat.database)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        latest = snapshots.latest()
        if latest is not None and latest.computed_at == reports.clock.now:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the figures were not refreshed in the background")
    assert "Cijfers van 20/11/2026 13:20" in coord.get("/dashboard/reports").text


# ---- keeping the figures fresh ------------------------------------------------------------------


def test_refreshes_at_the_same_time_share_one_computation(figures: ReportFigures,
                                                          database: Database):
    calls: list[int] = []
    gate = threading.Event()

    def slow_compute() -> ReportFigures:
        calls.append(1)
        gate.wait(5)
        return figures

    keeper = FiguresKeeper(slow_compute, ReportSnapshots(database), Clock(NOW))
    results: list[ReportFigures] = []
    threads = [threading.Thread(target=lambda: results.append(keeper.refresh()))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    assert not keeper.refresh_in_background()  # one is under way: no second one
    gate.set()
    for thread in threads:
        thread.join(5)
    assert len(calls) == 1 and results == [figures] * 3


def test_a_failed_computation_does_not_block_the_next(figures: ReportFigures,
                                                      database: Database):
    outcomes: list[ReportFigures | Exception] = [RuntimeError("database gone"), figures]

    def flaky_compute() -> ReportFigures:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    keeper = FiguresKeeper(flaky_compute, ReportSnapshots(database), Clock(NOW))
    with pytest.raises(RuntimeError):
        keeper.refresh()
    assert keeper.refresh() == figures
    assert keeper.current() == (figures, False)  # saved: read back, fresh
