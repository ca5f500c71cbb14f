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
        "search_corrected": "Showing results for {query}",
        "search_original": "Search instead for {query}",
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
        # the agents' home (internal site, kb.site.agents)
        "agents_hero_title": "Search the handbook",
        "agents_search_placeholder": "Search articles and procedures…",
        "recently_changed": "Recently changed",
        "changed_on": "changed {date}",
        "due_for_review": "Due for review",
        "review_due": "due {date}",
        "review_overdue": "overdue since {date}",
        "nothing_due": "Nothing falls due for review in the next 30 days.",
        "due_more": "and {n} more (kb stale lists them all)",
        "owner": "Owner",
        # the ticket assistant (internal site: theme/kb-assist.html, assets/kb-assist.js)
        "assist_title": "Ticket assistant",
        "assist_intro": "Paste a ticket: the articles that answer it appear with the reasons and the confidence. Link the one you used, flag one that is wrong, or draft a new one.",
        "assist_ticket": "Ticket id (to link articles)",
        "assist_subject": "Subject",
        "assist_text": "The customer's message",
        "assist_go": "Suggest articles",
        "assist_working": "Looking for articles…",
        "assist_none": "No good article answers this ticket. Draft one from it.",
        "assist_weak": "Weak candidates",
        "assist_confidence": "confidence {n}%",
        "assist_keywords_only": "Keywords only: the model is still loading.",
        "assist_matched": "words",
        "assist_section": "section",
        "assist_link": "Link to ticket",
        "assist_linked": "Linked to ticket {ticket}",
        "assist_need_ticket": "Enter the ticket id first.",
        "assist_flag": "Flag",
        "assist_flag_reason": "What is wrong with it?",
        "assist_reason_outdated": "Outdated",
        "assist_reason_wrong": "Wrong",
        "assist_reason_unclear": "Unclear",
        "assist_reason_other": "Something else",
        "assist_flag_comment": "Comment for the owner",
        "assist_flag_send": "Send flag",
        "assist_flagged": "Flagged. Its owner sees it in kb stale.",
        "assist_draft": "Draft an article from this ticket",
        "assist_drafted": "Draft {file} downloaded: add it to the articles folder and finish it.",
        "assist_written": "Draft written to {file}.",
        "assist_failed": "That did not work: {error}",
        "assist_offline": "The ticket assistant needs kb serve, and the server cannot be reached.",
        "assist_signin": "Your session has ended. Sign in again.",
        "assist_open": "Open the ticket assistant",
        # the contact page (theme/kb-contact.html, theme/assets/kb-contact.js)
        "contact_page_title": "Contact us",
        "contact_intro": "Tell us what you need. While you type, we show the articles that may already answer it.",
        "contact_subject": "Subject",
        "contact_description": "Your question",
        "contact_your_email": "Your e-mail address, for our answer",
        "contact_suggestions": "These articles may answer your question",
        "contact_answered": "This answered my question",
        "contact_deflected": "Glad we could help! There is nothing more to send.",
        "contact_send": "Send",
        "contact_sending": "Sending…",
        "contact_sent": "Thank you! We have your request and will answer by e-mail.",
        "contact_failed": "We could not send your request just now. Please try again in a moment.",
        "contact_mail_opened": "Your e-mail program opens with your message. Send it from there.",
        "contact_too_long": "Please keep it shorter.",
        "contact_direct": "Or contact us directly",
        "not_found_title": "We couldn't find that page",
        "not_found_text": "The page may have moved or no longer exists. Search for an answer or pick a topic.",
        "made_with": "Made with",
        "footer_links": "About this help centre",
        "feedback_thanks_no": "Thank you! We will use your feedback to improve this article.",
    },
    "nl": {
        "home": "Klantenservice",
        "hero_title": "Waarmee kunnen we je helpen?",
        "search_placeholder": "Zoek een antwoord…",
        "search": "Zoeken",
        "search_corrected": "Resultaten voor {query}",
        "search_original": "Zoek in plaats daarvan naar {query}",
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
        "agents_hero_title": "Zoek in het handboek",
        "agents_search_placeholder": "Zoek artikelen en procedures…",
        "recently_changed": "Recent gewijzigd",
        "changed_on": "gewijzigd op {date}",
        "due_for_review": "Toe aan controle",
        "review_due": "uiterlijk {date}",
        "review_overdue": "te laat sinds {date}",
        "nothing_due": "De komende 30 dagen hoeft niets gecontroleerd te worden.",
        "due_more": "en nog {n} (kb stale toont ze allemaal)",
        "owner": "Eigenaar",
        "assist_title": "Ticketassistent",
        "assist_intro": "Plak een ticket: de artikelen die het beantwoorden verschijnen met de redenen en de zekerheid. Koppel het artikel dat je gebruikte, meld een fout artikel of maak een nieuw concept.",
        "assist_ticket": "Ticketnummer (om artikelen te koppelen)",
        "assist_subject": "Onderwerp",
        "assist_text": "Het bericht van de klant",
        "assist_go": "Artikelen voorstellen",
        "assist_working": "Artikelen zoeken…",
        "assist_none": "Geen goed artikel beantwoordt dit ticket. Maak er een concept van.",
        "assist_weak": "Zwakke kandidaten",
        "assist_confidence": "zekerheid {n}%",
        "assist_keywords_only": "Alleen trefwoorden: het model wordt nog geladen.",
        "assist_matched": "woorden",
        "assist_section": "sectie",
        "assist_link": "Koppelen aan ticket",
        "assist_linked": "Gekoppeld aan ticket {ticket}",
        "assist_need_ticket": "Vul eerst het ticketnummer in.",
        "assist_flag": "Melden",
        "assist_flag_reason": "Wat is er mis mee?",
        "assist_reason_outdated": "Verouderd",
        "assist_reason_wrong": "Onjuist",
        "assist_reason_unclear": "Onduidelijk",
        "assist_reason_other": "Iets anders",
        "assist_flag_comment": "Opmerking voor de eigenaar",
        "assist_flag_send": "Melding versturen",
        "assist_flagged": "Gemeld. De eigenaar ziet het in kb stale.",
        "assist_draft": "Concept maken van dit ticket",
        "assist_drafted": "Concept {file} gedownload: zet het in de artikelmap en werk het af.",
        "assist_written": "Concept geschreven naar {file}.",
        "assist_failed": "Dat lukte niet: {error}",
        "assist_offline": "De ticketassistent heeft kb serve nodig en de server is niet bereikbaar.",
        "assist_signin": "Je sessie is verlopen. Meld je opnieuw aan.",
        "assist_open": "Ticketassistent openen",
        # the contact page (theme/kb-contact.html, theme/assets/kb-contact.js)
        "contact_page_title": "Contact",
        "contact_intro": "Vertel ons waarmee we je kunnen helpen. Terwijl je typt, tonen we artikelen die je vraag misschien al beantwoorden.",
        "contact_subject": "Onderwerp",
        "contact_description": "Je vraag",
        "contact_your_email": "Je e-mailadres, voor ons antwoord",
        "contact_suggestions": "Deze artikelen beantwoorden je vraag misschien",
        "contact_answered": "Dit beantwoordt mijn vraag",
        "contact_deflected": "Fijn dat we je konden helpen! Je hoeft niets meer te versturen.",
        "contact_send": "Versturen",
        "contact_sending": "Bezig met versturen…",
        "contact_sent": "Bedankt! We hebben je vraag ontvangen en antwoorden per e-mail.",
        "contact_failed": "We konden je vraag nu niet versturen. Probeer het zo nog eens.",
        "contact_mail_opened": "Je e-mailprogramma opent met je bericht. Verstuur het vanuit daar.",
        "contact_too_long": "Houd het iets korter.",
        "contact_direct": "Of neem direct contact op",
        "not_found_title": "Deze pagina bestaat niet (meer)",
        "not_found_text": "De pagina is misschien verplaatst of verwijderd. Zoek een antwoord of kies een onderwerp.",
        "made_with": "Gemaakt met",
        "footer_links": "Over deze klantenservice",
        "feedback_thanks_no": "Bedankt! We gebruiken je feedback om dit artikel te verbeteren.",
    },
    "sv": {
        "home": "Kundtjänst",
        "hero_title": "Hur kan vi hjälpa dig?",
        "search_placeholder": "Sök efter svar…",
        "search": "Sök",
        "search_corrected": "Visar resultat för {query}",
        "search_original": "Sök i stället efter {query}",
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
        "agents_hero_title": "Sök i handboken",
        "agents_search_placeholder": "Sök artiklar och rutiner…",
        "recently_changed": "Nyligen ändrade",
        "changed_on": "ändrad {date}",
        "due_for_review": "Dags för granskning",
        "review_due": "senast {date}",
        "review_overdue": "försenad sedan {date}",
        "nothing_due": "Inget behöver granskas de närmaste 30 dagarna.",
        "due_more": "och {n} till (kb stale visar alla)",
        "owner": "Ägare",
        "assist_title": "Ärendeassistent",
        "assist_intro": "Klistra in ett ärende: artiklarna som besvarar det visas med skälen och säkerheten. Koppla artikeln du använde, flagga en som är fel eller skapa ett nytt utkast.",
        "assist_ticket": "Ärendenummer (för att koppla artiklar)",
        "assist_subject": "Ämne",
        "assist_text": "Kundens meddelande",
        "assist_go": "Föreslå artiklar",
        "assist_working": "Letar efter artiklar…",
        "assist_none": "Ingen bra artikel besvarar ärendet. Skapa ett utkast av det.",
        "assist_weak": "Svaga kandidater",
        "assist_confidence": "säkerhet {n} %",
        "assist_keywords_only": "Bara nyckelord: modellen laddas fortfarande.",
        "assist_matched": "ord",
        "assist_section": "avsnitt",
        "assist_link": "Koppla till ärendet",
        "assist_linked": "Kopplad till ärende {ticket}",
        "assist_need_ticket": "Fyll i ärendenumret först.",
        "assist_flag": "Flagga",
        "assist_flag_reason": "Vad är fel med den?",
        "assist_reason_outdated": "Inaktuell",
        "assist_reason_wrong": "Felaktig",
        "assist_reason_unclear": "Otydlig",
        "assist_reason_other": "Något annat",
        "assist_flag_comment": "Kommentar till ägaren",
        "assist_flag_send": "Skicka flaggan",
        "assist_flagged": "Flaggad. Ägaren ser det i kb stale.",
        "assist_draft": "Skapa ett utkast av ärendet",
        "assist_drafted": "Utkastet {file} har laddats ner: lägg det i artikelmappen och gör klart det.",
        "assist_written": "Utkastet sparades i {file}.",
        "assist_failed": "Det gick inte: {error}",
        "assist_offline": "Ärendeassistenten behöver kb serve och servern går inte att nå.",
        "assist_signin": "Din session har gått ut. Logga in igen.",
        "assist_open": "Öppna ärendeassistenten",
        # the contact page (theme/kb-contact.html, theme/assets/kb-contact.js)
        "contact_page_title": "Kontakta oss",
        "contact_intro": "Berätta vad du behöver hjälp med. Medan du skriver visar vi artiklar som kanske redan besvarar frågan.",
        "contact_subject": "Ämne",
        "contact_description": "Din fråga",
        "contact_your_email": "Din e-postadress, för vårt svar",
        "contact_suggestions": "De här artiklarna kanske besvarar din fråga",
        "contact_answered": "Det här besvarade min fråga",
        "contact_deflected": "Skönt att vi kunde hjälpa till! Du behöver inte skicka något mer.",
        "contact_send": "Skicka",
        "contact_sending": "Skickar…",
        "contact_sent": "Tack! Vi har tagit emot din fråga och svarar via e-post.",
        "contact_failed": "Vi kunde inte skicka din fråga just nu. Försök igen om en stund.",
        "contact_mail_opened": "Ditt e-postprogram öppnas med ditt meddelande. Skicka det därifrån.",
        "contact_too_long": "Håll det lite kortare.",
        "contact_direct": "Eller kontakta oss direkt",
        "not_found_title": "Vi hittar inte sidan",
        "not_found_text": "Sidan kan ha flyttats eller tagits bort. Sök efter ett svar eller välj ett ämne.",
        "made_with": "Skapad med",
        "footer_links": "Om kundtjänsten",
        "feedback_thanks_no": "Tack! Vi använder din feedback för att förbättra artikeln.",
    },
}

MONTHS = {
    "en": "January February March April May June July August September October November December",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "sv": "januari februari mars april maj juni juli augusti september oktober november december",
}


def strings(lang: str, own: dict[str, dict[str, str]] | None = None) -> dict[str, str]:
    """Return every UI string in `lang`: the team's own (`own`), kb's, then English."""
    return {**STRINGS["en"], **STRINGS.get(lang, {}), **((own or {}).get(lang) or {})}


def count_label(n: int, lang: str, own: dict[str, dict[str, str]] | None = None) -> str:
    """Return "1 article" / "5 articles" in `lang`."""
    s = strings(lang, own)
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
