"""The guided rights check: a handful of answers in, the rights that may apply out, each with
one line of why. Rules only point to what is worth asking about; people decide.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialogues.i18n import N_

# the questions and their answers (button payloads carry the keys)
HOUSEHOLD = ("alone", "partner", "single_parent", "family")
CHILDREN = ("none", "under3", "school", "teen")  # the youngest child living with the client
INCOME = ("work", "unemployment", "ocmw", "other_benefit", "none")
HOUSING = ("private_rent", "social_rent", "waiting_list", "with_others", "own", "no_home")
YES_NO = ("yes", "no")
LOW_INCOME = {"unemployment", "ocmw", "other_benefit", "none"}


@dataclass(frozen=True, slots=True)
class RightsAnswers:
    household: str = ""
    children: str = ""
    income: str = ""
    housing: str = ""
    health_costs: str = ""
    debts: str = ""


@dataclass(frozen=True, slots=True)
class Finding:
    entry_id: str
    why: str  # a gettext msgid, translated when shown


def possible_rights(a: RightsAnswers) -> list[Finding]:
    """What may apply, in the order a counselor would look at it."""
    found: list[Finding] = []
    low = a.income in LOW_INCOME or a.household == "single_parent"
    kids = a.children in ("under3", "school", "teen")

    def add(entry_id: str, why: str) -> None:
        if all(f.entry_id != entry_id for f in found):
            found.append(Finding(entry_id, why))

    if a.income == "none":
        add("leefloon", N_("Je zegt dat je geen inkomen hebt: het OCMW kan een leefloon geven."))
        add("werkloosheid", N_("Heb je vroeger in België gewerkt? Dan kan een "
                               "werkloosheidsuitkering mogelijk zijn."))
    if a.debts == "yes":
        add("schuldhulp", N_("Je hebt rekeningen die niet betaald zijn: het OCMW of het CAW "
                             "helpt gratis."))
    if a.income == "ocmw" or (a.debts == "yes" and a.income in LOW_INCOME):
        add("sociaal_tarief_energie", N_("Met steun van het OCMW betaal je minder voor gas en "
                                         "elektriciteit."))
    if low or a.health_costs == "yes":
        add("verhoogde_tegemoetkoming",
            N_("Met een laag inkomen of als alleenstaande ouder betaal je misschien minder voor "
               "de dokter en medicijnen."))
    if a.children in ("under3", "school") and a.income in ("work", "unemployment", "none",
                                                           "ocmw"):
        add("kinderopvang", N_("Je hebt een jong kind: opvang met een prijs volgens je inkomen "
                               "helpt als je werkt of werk zoekt."))
    if kids:
        add("groeipakket", N_("Voor elk kind in Vlaanderen is er het Groeipakket, met extra "
                              "geld bij een laag inkomen."))
    if a.children in ("school", "teen") and low:
        add("schooltoelage", N_("Je kind gaat naar school: met een laag inkomen is er geld "
                                "voor de schoolkosten."))
    if a.housing == "waiting_list":
        add("huurpremie", N_("Je wacht op een sociale woning: na 4 jaar op de wachtlijst kan "
                             "Vlaanderen een deel van je huur betalen."))
    if a.housing in ("private_rent", "with_others", "no_home") and (low or a.income == "work"):
        add("sociale_woning", N_("Je huurt duur of je hebt geen eigen plek: schrijf je in voor "
                                 "een sociale woning."))
    if a.income in ("ocmw", "none") or a.debts == "yes" or (low and kids):
        add("uitpas", N_("Met een laag inkomen krijg je 80% korting op sport en vrije tijd."))
    if low:
        add("openbaar_vervoer", N_("Met de verhoogde tegemoetkoming krijg je korting op bus en "
                                   "trein."))
    return found
