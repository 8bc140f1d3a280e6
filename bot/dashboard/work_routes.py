"""The counselor's daily work: the queue, case lists, one client's page and what can be done
there (claim, reply, hand back, appointments, a job start, closing or reopening the case).

Every action goes through the same services the Telegram desk and the CLI use, so the client
gets the same messages, the same reminders are planned and the same audit lines are written.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time
from enum import StrEnum
from typing import TypeVar
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response

from bot.dashboard import labels
from bot.dashboard.logins import StaffUser
from bot.dashboard.pages import DashboardServices, NotFound, Page, Pages, see_other
from bot.dashboard.timeline import events, load_story
from dialogues.appointments import AppointmentBook, AppointmentDetails
from dialogues.counselor_desk import CounselorDesk, DeskOutcome, Staff
from dialogues.nazorg import Aftercare
from storage.records import (
    AppointmentKind,
    AppointmentMode,
    AppointmentRecord,
    AuditRecord,
    CaseOutcome,
    CaseStatus,
    ContractType,
    TaskStatus,
)

MAX_REPLY = 4000
E = TypeVar("E", bound=StrEnum)


def work_routes(pages: Pages) -> APIRouter:
    router = APIRouter()
    services = pages.services
    reads = services.reads

    def desk(page: Page) -> CounselorDesk:
        return CounselorDesk(services.database, services.dialogue_settings(page.lang),
                             services.clock)

    def book(page: Page) -> AppointmentBook:
        return AppointmentBook(services.database, services.dialogue_settings(page.lang),
                               services.clock)

    def aftercare(page: Page) -> Aftercare:
        return Aftercare(services.database, services.dialogue_settings(page.lang),
                         services.clock)

    async def readable(page: Page, client_id: int, action: str) -> None:
        """The user may see this client, or NotFound; either way it is in the audit log."""
        assert page.user is not None
        allowed = await asyncio.to_thread(reads.may_read, page.user.counselor, client_id)
        await asyncio.to_thread(_audit, services, page, action if allowed
                                else f"{action}.refused", f"client:{client_id}")
        if not allowed:
            raise NotFound()

    async def tell_colleagues(page: Page, client_id: int, note: str) -> None:
        if note and page.user is not None:
            await services.notify(client_id, f"🖥 {page.user.counselor.name}: {note}")

    async def acting(request: Request, client_id: int
                     ) -> tuple[StaffUser, Page, dict[str, str]]:
        """A form about one client: logged in, CSRF-checked, allowed to write; audited."""
        user = await pages.user(request)
        form = await pages.form(request, user)
        page = pages.page(request, user)
        await readable(page, client_id, "case.write")
        return user, page, form

    async def deliver(outcome: DeskOutcome) -> None:
        for key, message in outcome.to_client:
            await services.deliver(key, message)

    # ---- pages ------------------------------------------------------------------------------

    @router.get("/dashboard")
    async def queue(request: Request) -> Response:
        page = pages.page(request, await pages.user(request))
        items = await asyncio.to_thread(reads.queue)
        await asyncio.to_thread(_audit, services, page, "queue.read", "escalations")
        return await pages.show(page, "queue.html", items=items, labels=labels,
                            now=services.clock())

    @router.get("/dashboard/cases")
    async def cases(request: Request, scope: str = "mine", status: str = "open", q: str = "",
                    page_number: int = 0) -> Response:
        user = await pages.user(request)
        page = pages.page(request, user)
        if scope not in ("mine", "team", "all"):
            scope = "mine"
        rows = await asyncio.to_thread(reads.cases, user.counselor, scope, status, q[:100],
                                       max(0, min(page_number, 10_000)))
        await asyncio.to_thread(_audit, services, page, "case.list", f"cases:{scope}")
        return await pages.show(page, "cases.html", rows=rows, scope=scope, status=status, q=q,
                            page_number=page_number, labels=labels,
                            statuses=list(CaseStatus))

    @router.get("/dashboard/clients/{client_id}")
    async def client_page(client_id: int, request: Request) -> Response:
        page = pages.page(request, await pages.user(request))
        await readable(page, client_id, "case.read")
        story = await asyncio.to_thread(load_story, services.database, client_id)
        if story is None:
            raise NotFound()
        story.escalations = await asyncio.to_thread(reads.escalations_for, client_id)
        story.tasks = await asyncio.to_thread(reads.open_tasks_for, client_id)
        names, choices = await asyncio.to_thread(reads.counselor_names)
        now = services.clock()
        tz = ZoneInfo(services.settings.timezone)
        return await pages.show(
            page, "client.html", story=story, timeline=events(story, page.tr, names),
            names=names, choices=choices, labels=labels, now=now,
            upcoming=[a for a in story.appointments if a.status.upcoming],
            past_open=[a for a in story.appointments
                       if a.status.upcoming and a.starts_at <= now],
            today=now.astimezone(tz).date().isoformat(),
            kinds=list(AppointmentKind), modes=list(AppointmentMode),
            contracts=list(ContractType), outcomes=list(CaseOutcome))

    # ---- actions ----------------------------------------------------------------------------

    @router.post("/dashboard/escalations/{escalation_id}/claim")
    async def claim(escalation_id: int, request: Request) -> Response:
        user = await pages.user(request)
        await pages.form(request, user)
        page = pages.page(request, user)
        outcome = await asyncio.to_thread(desk(page).claim, escalation_id,
                                          Staff(counselor_id=user.id))
        await deliver(outcome)
        if outcome.escalation is None:
            return see_other("/dashboard", outcome.note)
        await tell_colleagues(page, outcome.escalation.client_id, outcome.note)
        return see_other(f"/dashboard/clients/{outcome.escalation.client_id}", outcome.note
                         or page._("Je hebt dit gesprek opgenomen. De bot zwijgt nu."))

    @router.post("/dashboard/clients/{client_id}/reply")
    async def reply(client_id: int, request: Request) -> Response:
        user, page, form = await acting(request, client_id)
        text = form.get("text", "").strip()[:MAX_REPLY]
        if not text:
            return see_other(f"/dashboard/clients/{client_id}#reply",
                             page._("Schrijf eerst een bericht."))
        outcome = await asyncio.to_thread(desk(page).reply, client_id,
                                          Staff(counselor_id=user.id), text)
        await deliver(outcome)
        if outcome.to_client:
            await tell_colleagues(page, client_id, f"💬 {text}")
        note = (page._("Verstuurd.") if outcome.to_client
                else page._("Deze cliënt is via geen enkel kanaal bereikbaar."))
        return see_other(f"/dashboard/clients/{client_id}", outcome.note or note)

    @router.post("/dashboard/clients/{client_id}/hand-back")
    async def hand_back(client_id: int, request: Request) -> Response:
        user, page, _ = await acting(request, client_id)
        outcome = await asyncio.to_thread(desk(page).hand_back, client_id,
                                          Staff(counselor_id=user.id))
        await deliver(outcome)
        await tell_colleagues(page, client_id, outcome.note)
        return see_other(f"/dashboard/clients/{client_id}", outcome.note)

    @router.post("/dashboard/clients/{client_id}/appointments")
    async def plan(client_id: int, request: Request) -> Response:
        user, page, form = await acting(request, client_id)
        starts_at = _moment(form, services.settings.timezone)
        if starts_at is None:
            return see_other(f"/dashboard/clients/{client_id}#plan",
                             page._("Geef een geldige datum en tijd."))
        details = AppointmentDetails(
            starts_at, kind=_choice(AppointmentKind, form.get("kind"), AppointmentKind.FOLLOW_UP),
            mode=_choice(AppointmentMode, form.get("mode"), AppointmentMode.IN_PERSON),
            location=form.get("location", "")[:300], with_whom=form.get("with_whom", "")[:200],
            duration_minutes=_minutes(form.get("duration", "60")))
        outcome = await asyncio.to_thread(book(page).plan, client_id, details, page.actor)
        if outcome.ok:
            services.wake()
            await tell_colleagues(page, client_id, outcome.note)
        return see_other(f"/dashboard/clients/{client_id}", outcome.note)

    @router.post("/dashboard/appointments/{appointment_id}/{action}")
    async def change_appointment(appointment_id: int, action: str, request: Request
                                 ) -> Response:
        user = await pages.user(request)
        form = await pages.form(request, user)
        page = pages.page(request, user)
        appointment = await asyncio.to_thread(_appointment, services, appointment_id)
        if appointment is None:
            raise NotFound()
        await readable(page, appointment.client_id, "case.write")
        the_book = book(page)
        if action == "move":
            starts_at = _moment(form, services.settings.timezone)
            if starts_at is None:
                return see_other(f"/dashboard/clients/{appointment.client_id}",
                                 page._("Geef een geldige datum en tijd."))
            outcome = await asyncio.to_thread(the_book.move, appointment_id, starts_at,
                                              page.actor)
        elif action == "accept":
            outcome = await asyncio.to_thread(the_book.accept_proposal, appointment_id,
                                              appointment.version, page.actor)
        elif action == "cancel":
            outcome = await asyncio.to_thread(the_book.cancel, appointment_id, page.actor)
        elif action in ("attended", "no-show"):
            outcome = await asyncio.to_thread(the_book.mark, appointment_id,
                                              action == "attended", page.actor)
        else:
            raise NotFound()
        if outcome.ok:
            services.wake()
            await tell_colleagues(page, appointment.client_id, outcome.note)
        back = form.get("back", "")
        target = back if back.startswith("/dashboard/appointments") else \
            f"/dashboard/clients/{appointment.client_id}"
        return see_other(target, outcome.note)

    @router.post("/dashboard/clients/{client_id}/job")
    async def start_job(client_id: int, request: Request) -> Response:
        user, page, form = await acting(request, client_id)
        try:
            started_on = date.fromisoformat(form.get("started_on", ""))
        except ValueError:
            return see_other(f"/dashboard/clients/{client_id}#job",
                             page._("Geef een geldige startdatum."))
        contract = _choice(ContractType, form.get("contract"), ContractType.FIXED_TERM)
        outcome = await asyncio.to_thread(aftercare(page).start_job, client_id, started_on,
                                          contract, form.get("employer", "")[:200], page.actor)
        if outcome.ok:
            services.wake()
            await tell_colleagues(page, client_id, outcome.note)
        return see_other(f"/dashboard/clients/{client_id}", outcome.note)

    @router.post("/dashboard/clients/{client_id}/close")
    async def close_case(client_id: int, request: Request) -> Response:
        user, page, form = await acting(request, client_id)
        outcome_value = form.get("outcome", "")
        if outcome_value not in {o.value for o in CaseOutcome}:
            return see_other(f"/dashboard/clients/{client_id}#close",
                             page._("Kies hoe het traject eindigde."))
        result = await asyncio.to_thread(aftercare(page).close_case, client_id,
                                         CaseOutcome(outcome_value), page.actor)
        return see_other(f"/dashboard/clients/{client_id}", result.note)

    @router.post("/dashboard/clients/{client_id}/assign")
    async def assign(client_id: int, request: Request) -> Response:
        """A counselor takes an untaken case; a coordinator gives a case to anyone."""
        user, page, form = await acting(request, client_id)
        wanted = form.get("counselor_id", "")
        target = int(wanted) if user.counselor.sees_everything and wanted.isdigit() else user.id
        note = await asyncio.to_thread(_assign, services, page, client_id, target)
        return see_other(f"/dashboard/clients/{client_id}", note)

    @router.post("/dashboard/clients/{client_id}/tasks/{task_id}/done")
    async def task_done(client_id: int, task_id: int, request: Request) -> Response:
        user, page, _ = await acting(request, client_id)
        done = await asyncio.to_thread(_task_done, services, page, client_id, task_id)
        if not done:
            raise NotFound()
        return see_other(f"/dashboard/clients/{client_id}", page._("Taak afgevinkt."))

    @router.post("/dashboard/clients/{client_id}/reopen")
    async def reopen_case(client_id: int, request: Request) -> Response:
        user, page, _ = await acting(request, client_id)
        result = await asyncio.to_thread(aftercare(page).reopen_case, client_id, page.actor)
        return see_other(f"/dashboard/clients/{client_id}", result.note)

    return router


def _audit(services: DashboardServices, page: Page, action: str, subject: str) -> None:
    assert page.user is not None
    with services.database() as uow:
        uow.audit.add(AuditRecord(page.user.label, action, subject, services.clock()))
        uow.commit()


def _assign(services: DashboardServices, page: Page, client_id: int, counselor_id: int
            ) -> str:
    assert page.user is not None
    with services.database() as uow:
        case = uow.cases.current_for(client_id)
        counselor = uow.counselors.get(counselor_id)
        if case is None or counselor is None or not counselor.active:
            return page._("Dat kan niet: geen dossier of geen actieve begeleider.")
        if case.counselor_id is not None and not page.user.counselor.sees_everything:
            return page._("Dit dossier heeft al een begeleider. Vraag een coördinator.")
        case.counselor_id = counselor.id
        uow.cases.save(case)
        uow.audit.add(AuditRecord(page.user.label, "case.assign", f"case:{case.id}",
                                  services.clock(), {"counselor": counselor.id}))
        uow.commit()
    return page.tr.format(page._("{name} is nu de begeleider van dit dossier."),
                          name=counselor.name)


def _task_done(services: DashboardServices, page: Page, client_id: int, task_id: int) -> bool:
    """Only a task of this client (the URL's client was checked, the task must match)."""
    assert page.user is not None
    with services.database() as uow:
        before = uow.tasks.done(task_id)
        if before is None or before.client_id != client_id or before.status != TaskStatus.OPEN:
            return False  # rolled back: nothing changes
        uow.audit.add(AuditRecord(page.user.label, "task.done", f"task:{task_id}",
                                  services.clock(), {"client": client_id}))
        uow.commit()
    return True


def _appointment(services: DashboardServices, appointment_id: int
                 ) -> AppointmentRecord | None:
    with services.database() as uow:
        return uow.appointments.get(appointment_id)


def _moment(form: dict[str, str], timezone: str) -> datetime | None:
    """A date and time typed in the counselor's (the programme's) time zone."""
    try:
        day = date.fromisoformat(form.get("date", ""))
        clock = time.fromisoformat(form.get("time", ""))
    except ValueError:
        return None
    return datetime.combine(day, clock.replace(second=0, microsecond=0), ZoneInfo(timezone))


def _minutes(value: str) -> int:
    try:
        return max(5, min(int(value), 8 * 60))
    except ValueError:
        return 60


def _choice(kind: type[E], value: str | None, default: E) -> E:
    try:
        return kind(value or "")
    except ValueError:
        return default
