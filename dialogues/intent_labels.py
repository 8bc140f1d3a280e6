"""Short, plain button labels for what a client may mean, used when the bot must ask."""

from __future__ import annotations

from dialogues.i18n import N_

INTENT_LABELS: dict[str, str] = {
    "ask_human": N_("👤 Praten met een persoon"),
    "seek_work": N_("💼 Werk zoeken"),
    "seek_training": N_("🎓 Een opleiding"),
    "learn_dutch": N_("🗣️ Nederlands leren"),
    "appointment_confirm": N_("✅ Ik kom naar mijn afspraak"),
    "appointment_cancel": N_("❌ Ik kan niet naar mijn afspraak"),
    "appointment_reschedule": N_("🔁 Een ander moment voor mijn afspraak"),
    "appointment_query": N_("📅 Wanneer of waar is mijn afspraak?"),
    "rights_income": N_("💶 Geld om van te leven"),
    "rights_childcare": N_("👶 Opvang voor mijn kinderen"),
    "rights_housing": N_("🏠 Wonen en huur"),
    "rights_health": N_("🩺 Dokter en ziekenfonds"),
    "rights_debt": N_("🧾 Schulden en rekeningen"),
    "rights_discounts": N_("🎟️ Korting (UiTPAS, bus, school)"),
    "job_going_well": N_("👍 Mijn werk gaat goed"),
    "job_problem": N_("⚠️ Een probleem op mijn werk"),
    "job_lost": N_("📉 Mijn werk is gestopt"),
    "document_help": N_("📄 Hulp met een brief of formulier"),
    "change_language": N_("🌐 Een andere taal"),
    "urgent_help": N_("🆘 Ik heb nu dringend hulp nodig"),
}
