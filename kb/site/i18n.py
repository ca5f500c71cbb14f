"""UI strings of the help site in each language, and date formatting; English is the fallback."""

from __future__ import annotations

import datetime as dt
import functools
import importlib.util
from pathlib import Path

from kb.core.errors import SettingsError

LANGUAGE_NAMES = {"en": "English", "nl": "Nederlands", "sv": "Svenska", "de": "Deutsch"}

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "home": "Help Centre",
        "hero_title": "How can we help?",
        "search_placeholder": "Search for answers…",
        "search": "Search",
        "categories": "Browse by topic",
        "articles_one": "1 article",
        "articles_other": "{n} articles",
        "featured": "Featured articles",
        "popular": "Popular articles",
        "contact_title": "Still need help?",
        "contact_text": "Our support team is happy to help.",
        "contact_email": "E-mail us",
        "contact_form": "Contact form",
        "contact_phone": "Call us",
        "reviewed": "Last reviewed",
        "products": "Applies to",
        "tags": "Tags",
        "related": "Related articles",
        "languages": "Also available in",
        "language": "Language",
        "helpful": "Was this article helpful?",
        "yes": "Yes",
        "no": "No",
        "reason_prompt": "What was wrong?",
        "reason_outdated": "The information is out of date",
        "reason_unclear": "It was hard to understand",
        "reason_missing": "It didn't answer my question",
        "reason_other": "Something else",
        "comment": "Anything else? (optional)",
        "send": "Send",
        "thanks": "Thank you for your feedback!",
        "thanks_offline": "Thank you! We could not send your feedback just now.",
        "internal": "Internal – for agents only",
        "internal_short": "Internal",
        "sop": "Standard operating procedure",
        "department": "Department",
        "all_tags": "All tags",
        "no_articles": "There are no articles in this category yet.",
        "agents_site": "Agent handbook",
    },
    "nl": {
        "home": "Klantenservice",
        "hero_title": "Waarmee kunnen we je helpen?",
        "search_placeholder": "Zoek een antwoord…",
        "search": "Zoeken",
        "categories": "Onderwerpen",
        "articles_one": "1 artikel",
        "articles_other": "{n} artikelen",
        "featured": "Uitgelichte artikelen",
        "popular": "Veelgelezen artikelen",
        "contact_title": "Nog vragen?",
        "contact_text": "Ons supportteam helpt je graag verder.",
        "contact_email": "Mail ons",
        "contact_form": "Contactformulier",
        "contact_phone": "Bel ons",
        "reviewed": "Laatst gecontroleerd",
        "products": "Van toepassing op",
        "tags": "Tags",
        "related": "Gerelateerde artikelen",
        "languages": "Ook beschikbaar in",
        "language": "Taal",
        "helpful": "Was dit artikel nuttig?",
        "yes": "Ja",
        "no": "Nee",
        "reason_prompt": "Wat klopte er niet?",
        "reason_outdated": "De informatie is verouderd",
        "reason_unclear": "Het was moeilijk te begrijpen",
        "reason_missing": "Mijn vraag werd niet beantwoord",
        "reason_other": "Iets anders",
        "comment": "Nog iets? (optioneel)",
        "send": "Versturen",
        "thanks": "Bedankt voor je feedback!",
        "thanks_offline": "Bedankt! We konden je feedback nu niet versturen.",
        "internal": "Intern – alleen voor medewerkers",
        "internal_short": "Intern",
        "sop": "Werkinstructie",
        "department": "Afdeling",
        "all_tags": "Alle tags",
        "no_articles": "Er zijn nog geen artikelen in deze categorie.",
        "agents_site": "Handboek voor medewerkers",
    },
    "sv": {
        "home": "Kundtjänst",
        "hero_title": "Hur kan vi hjälpa dig?",
        "search_placeholder": "Sök efter svar…",
        "search": "Sök",
        "categories": "Ämnen",
        "articles_one": "1 artikel",
        "articles_other": "{n} artiklar",
        "featured": "Utvalda artiklar",
        "popular": "Populära artiklar",
        "contact_title": "Behöver du mer hjälp?",
        "contact_text": "Vårt supportteam hjälper dig gärna.",
        "contact_email": "Mejla oss",
        "contact_form": "Kontaktformulär",
        "contact_phone": "Ring oss",
        "reviewed": "Senast granskad",
        "products": "Gäller",
        "tags": "Taggar",
        "related": "Relaterade artiklar",
        "languages": "Finns även på",
        "language": "Språk",
        "helpful": "Var artikeln till hjälp?",
        "yes": "Ja",
        "no": "Nej",
        "reason_prompt": "Vad var fel?",
        "reason_outdated": "Informationen är inaktuell",
        "reason_unclear": "Den var svår att förstå",
        "reason_missing": "Den besvarade inte min fråga",
        "reason_other": "Något annat",
        "comment": "Något mer? (valfritt)",
        "send": "Skicka",
        "thanks": "Tack för din feedback!",
        "thanks_offline": "Tack! Vi kunde inte skicka din feedback just nu.",
        "internal": "Intern – endast för handläggare",
        "internal_short": "Intern",
        "sop": "Rutinbeskrivning",
        "department": "Avdelning",
        "all_tags": "Alla taggar",
        "no_articles": "Det finns inga artiklar i den här kategorin än.",
        "agents_site": "Handbok för handläggare",
    },
}

MONTHS = {
    "en": "January February March April May June July August September October November December",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "sv": "januari februari mars april maj juni juli augusti september oktober november december",
}


def strings(lang: str) -> dict[str, str]:
    """Return every UI string in `lang`, English where a translation is missing."""
    return {**STRINGS["en"], **STRINGS.get(lang, {})}


def count_label(n: int, lang: str) -> str:
    """Return "1 article" / "5 articles" in `lang`."""
    s = strings(lang)
    return s["articles_one"] if n == 1 else s["articles_other"].format(n=n)


def format_date(day: dt.date | None, lang: str) -> str:
    """Return a date as "14 September 2026" in `lang` ("" for None)."""
    if day is None:
        return ""
    months = MONTHS.get(lang, MONTHS["en"]).split()
    return f"{day.day} {months[day.month - 1]} {day.year}"


def language_name(lang: str) -> str:
    """Return the name of a language in that language ("nl" -> "Nederlands")."""
    return LANGUAGE_NAMES.get(lang, lang)


def material_dir() -> Path:
    """Material's templates folder (found without importing MkDocs)."""
    spec = importlib.util.find_spec("material")
    if spec is None or not spec.submodule_search_locations:
        raise SettingsError("kb needs Material for MkDocs: pip install mkdocs-material")
    return Path(next(iter(spec.submodule_search_locations))) / "templates"


@functools.cache
def material_languages() -> dict[str, str]:
    """Material's interface languages, by lower-case code (`pt-br` -> `pt-BR`)."""
    try:
        folder = material_dir() / "partials/languages"
    except SettingsError:
        return {"en": "en"}
    return {path.stem.lower(): path.stem for path in folder.glob("*.html")} or {"en": "en"}


def ui_language(lang: str) -> str:
    """Material's nearest interface language for a language code (`nl_BE` -> `nl`), else `en`."""
    known = material_languages()
    code = lang.replace("_", "-").lower()
    if code in known:
        return known[code]
    base = code.split("-")[0]
    return known.get(base, "en")
