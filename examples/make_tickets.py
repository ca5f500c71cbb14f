#!/usr/bin/env python3
"""Generate examples/tickets.csv: a fictional Brightcart support inbox.

Deterministic (fixed seed, standard library only). Run from the repository root:

    python examples/make_tickets.py            # writes examples/tickets.csv
    python examples/make_tickets.py --summary  # also prints ticket ids per topic

Every ticket is fictional. E-mail addresses use example.* domains and phone
numbers use ranges reserved for drama/testing where such ranges exist.
"""

import csv
import os
import random
import sys
from collections import Counter, defaultdict
from datetime import datetime, timedelta

SEED = 20261120
START = datetime(2025, 12, 1, 0, 0)
END = datetime(2026, 11, 20, 23, 59)
APP5_RELEASE = datetime(2026, 6, 1)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tickets.csv")

# --------------------------------------------------------------------------
# Fillers
# --------------------------------------------------------------------------

NAMES = {
    "en": ["Anna", "James", "Olivia", "Tom", "Priya", "Sophie", "Liam", "Grace",
           "Mohammed", "Emily", "Daniel", "Hannah", "Chloe", "Ravi", "Sarah",
           "Mark", "Aisha", "Ben", "Megan", "Oliver", "Sanne", "Johan", "Kate"],
    "nl": ["Sanne", "Daan", "Lotte", "Bram", "Fleur", "Thijs", "Eva", "Jeroen",
           "Marieke", "Kees", "Ilse", "Ruben", "Noor", "Sem", "Anouk", "Wouter"],
    "sv": ["Erik", "Karin", "Johan", "Elin", "Lars", "Maja", "Oskar", "Ingrid",
           "Sofia", "Anders", "Linnea", "Gustav", "Frida", "Nils", "Ebba", "Per"],
}
SURNAMES = {
    "en": ["Smith", "Patel", "Jones", "Taylor", "Brown", "Wilson", "Khan", "Evans"],
    "nl": ["de Vries", "Bakker", "Jansen", "Visser", "Smit", "Meijer", "de Boer"],
    "sv": ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson"],
}

ITEMS = {
    "en": ["linen duvet cover", "oak side table", "ceramic table lamp",
           "set of 4 wine glasses", "wool throw", "bath towel set", "floor lamp",
           "velvet cushion", "bookcase", "160x230 rug", "cast iron casserole",
           "pair of blackout curtains", "desk chair", "round wall mirror",
           "storage basket", "stoneware dinner set", "bedside table", "rattan chair"],
    "nl": ["linnen dekbedovertrek", "eikenhouten bijzettafel", "keramische tafellamp",
           "set van 4 wijnglazen", "wollen plaid", "set badhanddoeken", "vloerlamp",
           "fluwelen kussen", "boekenkast", "vloerkleed van 160x230",
           "gietijzeren braadpan", "verduisterend gordijn", "bureaustoel",
           "ronde spiegel", "opbergmand", "servies van steengoed", "nachtkastje"],
    "sv": ["påslakan i linne", "sidobord i ek", "bordslampa i keramik",
           "4 vinglas", "pläd i ull", "badhanddukar", "golvlampa",
           "sammetskudde", "bokhylla", "matta 160x230", "gjutjärnsgryta",
           "mörkläggningsgardiner", "skrivbordsstol", "rund spegel",
           "förvaringskorgar", "servis i stengods", "sängbord", "rottingstol"],
}
BIG_ITEMS = {
    "en": ["wardrobe", "3-seater sofa", "bed frame", "dining table", "chest of drawers", "bunk bed"],
    "nl": ["kledingkast", "driezitsbank", "bedframe", "eettafel", "ladekast", "stapelbed"],
    "sv": ["garderob", "tresitssoffa", "sängram", "matbord", "byrå", "våningssäng"],
}
CITIES = {
    "NL": ["Amsterdam", "Utrecht", "Rotterdam", "Groningen", "Eindhoven", "Haarlem", "Leiden"],
    "SE": ["Stockholm", "Göteborg", "Malmö", "Uppsala", "Umeå", "Lund", "Västerås"],
    "UK": ["Leeds", "Bristol", "Manchester", "Glasgow", "Cardiff", "Brighton", "York"],
}
CARRIERS = {"NL": ["PostNL", "PostNL", "DHL"], "SE": ["PostNord"], "UK": ["Evri", "Evri", "DPD"]}
MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July",
           "August", "September", "October", "November", "December"],
    "nl": ["januari", "februari", "maart", "april", "mei", "juni", "juli",
           "augustus", "september", "oktober", "november", "december"],
    "sv": ["januari", "februari", "mars", "april", "maj", "juni", "juli",
           "augusti", "september", "oktober", "november", "december"],
}
PROMO_CODES = ["WELCOME10", "SPRING15", "HOME20", "BLACKFRIDAY25", "SUMMER10",
               "PLUSFRIEND", "COSY15", "NEWHOME", "VINTER20", "HERFST10"]

GREETINGS = {
    "en": ["Hi,", "Hello,", "Hi there,", "Dear Brightcart,", "Hey,", "Good morning,",
           "Dear customer service,", "To whom it may concern,", "Hi Brightcart team,", "", "", ""],
    "nl": ["Hallo,", "Hoi,", "Beste Brightcart,", "Goedemiddag,", "Beste klantenservice,",
           "Goedemorgen,", "Hallo Brightcart,", "", ""],
    "sv": ["Hej!", "Hej,", "Hejsan,", "Hej Brightcart,", "God morgon,", "Hej kundtjänst,", "", ""],
}
CLOSINGS = {
    "en": ["Kind regards,\n{name}", "Best,\n{name}", "Cheers, {name}", "Thanks in advance\n{name}",
           "Thanks,\n{name}", "Regards\n{full}", "Many thanks,\n{full}", "{name}",
           "Sent from my iPhone", "Thank you!", "", ""],
    "nl": ["Met vriendelijke groet,\n{full}", "Groetjes, {name}", "Alvast bedankt!\n{name}",
           "Mvg {name}", "Verstuurd vanaf mijn iPhone", "Groet,\n{name}", "Bedankt!", ""],
    "sv": ["Med vänliga hälsningar\n{full}", "Mvh {name}", "Tack på förhand!\n{name}",
           "Hälsningar {name}", "Skickat från min iPhone", "/{name}", "Tack!", ""],
}
MOODS_BEFORE = {
    "en": ["This is really frustrating.", "Sorry to bother you again.", "Quick question.",
           "I'm honestly quite annoyed.", "URGENT!!", "Hope you can help."],
    "nl": ["Ik word hier echt moe van.", "Sorry dat ik weer mail.", "Snelle vraag.",
           "Ik ben eerlijk gezegd behoorlijk geïrriteerd.", "DRINGEND!", "Hopelijk kunnen jullie helpen."],
    "sv": ["Det här är väldigt frustrerande.", "Förlåt att jag stör igen.", "Snabb fråga.",
           "Jag är ärligt talat ganska irriterad.", "BRÅDSKANDE!", "Hoppas ni kan hjälpa mig."],
}
MOODS_AFTER = {
    "en": ["Please sort this out asap.", "Would appreciate a quick reply.",
           "This is the second time I'm writing about this.", "Thanks for your help!",
           "Not impressed so far.", "Looking forward to hearing from you."],
    "nl": ["Graag zo snel mogelijk een reactie.", "Dit is al de tweede keer dat ik mail!",
           "Bedankt voor jullie hulp!", "Ik hoor graag van jullie.", "Tot nu toe ben ik niet onder de indruk."],
    "sv": ["Tacksam för snabbt svar.", "Det här är andra gången jag skriver!",
           "Tack för hjälpen!", "Hör gärna av er snarast.", "Inte särskilt imponerad hittills."],
}
QUOTE_HEADERS = {
    "en": "On {qdate}, Brightcart Support wrote:",
    "nl": "Op {qdate} schreef Brightcart Klantenservice:",
    "sv": "Den {qdate} skrev Brightcart Kundservice:",
}
QUOTE_BODIES = {
    "en": ["Hi {name},\nThanks for getting in touch. We have passed your question on to the right team and will get back to you within 2 business days.\nKind regards,\nBrightcart Support",
           "Hi {name},\nThanks for your patience. We are looking into this and will update you as soon as we know more.\nBest wishes,\nBrightcart Support"],
    "nl": ["Hoi {name},\nBedankt voor je bericht. We hebben je vraag doorgezet naar het juiste team en komen binnen 2 werkdagen bij je terug.\nGroetjes,\nBrightcart Klantenservice"],
    "sv": ["Hej {name}!\nTack för ditt meddelande. Vi har skickat din fråga vidare till rätt team och återkommer inom 2 arbetsdagar.\nVänliga hälsningar\nBrightcart Kundservice"],
}
FOLLOW_UP_LINES = {
    "en": ["I still haven't heard anything, see below.", "Following up on this, still not sorted.",
           "Any news? Nobody has come back to me."],
    "nl": ["Ik heb nog steeds niets gehoord, zie hieronder.", "Even een herinnering, dit is nog niet opgelost."],
    "sv": ["Jag har fortfarande inte hört något, se nedan.", "Påminnelse, det här är fortfarande inte löst."],
}
GENERIC_SUBJECTS = {
    "en": ["Question", "Help please", "Order {order}", "Re: your order {order}", "(no subject)", "Problem"],
    "nl": ["Vraag", "Hulp nodig", "Bestelling {order}", "Re: je bestelling {order}", "(geen onderwerp)"],
    "sv": ["Fråga", "Hjälp", "Order {order}", "Sv: din beställning {order}", "(inget ämne)"],
}
MISSPELLINGS = {
    "receive": "recieve", "received": "recieved", "address": "adress", "definitely": "definately",
    "password": "pasword", "the ": "teh ", "because": "becuase", "which": "wich",
    "account": "acount", "until": "untill", "delivery": "delivey", "separate": "seperate",
    "refund": "refumd", "really": "realy", "tomorrow": "tommorow", "please": "pls",
}

# --------------------------------------------------------------------------
# Topics. kind: answerable (an article covers it), gap (no article),
# drift (app 5.0 moved the return button), noise.
# when: None = any date, "pre" = before app 5.0, "post" = after app 5.0,
# "peak" = mostly around Black Friday / December.
# --------------------------------------------------------------------------

T = {}


def topic(key, kind, count, tags, en, nl, sv, when=None, article=None):
    T[key] = dict(kind=kind, count=count, tags=tags, en=en, nl=nl, sv=sv, when=when, article=article)


# ---------------- account ----------------
topic("reset-password", "answerable", 20, "password;login", article="reset-password", en=[
    ("Can't log in - forgot password", "I've forgotten my password and can't get into my account. How do I reset it? I need to check my order {order}."),
    ("Reset link expired", "I asked for a password reset link but when I click it, it says the link has expired. I tried twice now. What am I doing wrong?"),
    ("password reset", "how do i change my password in the app? i'm on version {ver} and can't find it anywhere in settings"),
    ("Forgot password", "I haven't used my account since last year and can't remember my password. Can you send me a new one?"),
    ("Password not accepted", "I reset my password this morning and now the new one is not accepted either. It says it can't be one of my last passwords?? I just want to log in."),
    ("New password", "Hi, I think someone might know my password. How can I change it to a new one as quickly as possible?"),
], nl=[
    ("Wachtwoord vergeten", "Ik ben mijn wachtwoord vergeten en kan niet meer inloggen. Hoe kan ik mijn wachtwoord herstellen?"),
    ("Link werkt niet", "Ik heb een link aangevraagd om mijn wachtwoord te wijzigen maar hij zegt dat hij verlopen is. Ik heb hem net pas ontvangen!"),
    ("Nieuw wachtwoord instellen", "Waar kan ik in de app (versie {ver}) een nieuw wachtwoord instellen? Ik kan het nergens vinden."),
], sv=[
    ("Glömt lösenord", "Jag har glömt mitt lösenord och kommer inte in på mitt konto. Hur återställer jag det?"),
    ("Länken har gått ut", "Jag begärde en länk för att byta lösenord men den har redan gått ut när jag klickar. Vad gör jag?"),
    ("Byta lösenord i appen", "Hur byter jag lösenord i appen? Jag har version {ver} och hittar det inte under inställningar."),
])
topic("account-locked", "answerable", 10, "login;locked", article="account-locked", en=[
    ("Account locked", "My account says it is temporarily locked. I'm 100% sure I'm using the right password. How long does this last?"),
    ("Locked out!!", "I tried logging in a few times on my tablet and now I'm locked out completely. I need to return something before the deadline."),
    ("Got an email 'we secured your account'", "I got an email saying you secured my account and now I can't log in. I didn't change anything. Is my account hacked?"),
], nl=[
    ("Account geblokkeerd", "Mijn account is geblokkeerd na een paar keer inloggen. Ik gebruik echt het goede wachtwoord. Hoe lang duurt dit?"),
    ("Kan niet inloggen, tijdelijk geblokkeerd", "Ik krijg de melding dat mijn account tijdelijk geblokkeerd is. Wat moet ik doen?"),
], sv=[
    ("Kontot låst", "Mitt konto är låst efter att jag försökte logga in några gånger. Hur länge är det låst?"),
    ("Utelåst", "Det står att mitt konto är tillfälligt låst. Jag har inte gjort något konstigt. Hjälp!"),
])
topic("two-factor-login", "answerable", 7, "2fa;security;login", article="two-factor-login", en=[
    ("Lost phone - verification code", "I lost my phone last week and now the app asks for a six digit code when I log in. I don't have the phone anymore. How do I get in?"),
    ("Codes not working", "The codes from my authenticator app keep getting rejected when I log in to Brightcart. I've tried at least ten times."),
    ("How to turn on 2-step", "How do I turn on two step verification for my account? I'd like a bit more security."),
], nl=[
    ("Verificatiecode", "Ik heb een nieuwe telefoon en krijg nu geen verificatiecode meer om in te loggen. Hoe los ik dit op?"),
], sv=[
    ("Tvåstegsverifiering", "Jag har bytt telefon och får inga koder längre för tvåstegsverifieringen. Hur loggar jag in?"),
])
topic("change-email-address", "answerable", 6, "email;profile", article="change-email-address", en=[
    ("Change email", "Please change the email on my account from {email_old} to {email_new}. I don't use the old one anymore."),
    ("New email address", "I have a new email address. How do I update it on my account without losing my orders and my Plus membership?"),
], nl=[
    ("E-mailadres wijzigen", "Kunnen jullie mijn e-mailadres wijzigen naar {email_new}? Mijn oude adres bestaat niet meer."),
], sv=[
    ("Ny e-postadress", "Hur byter jag e-postadress på mitt konto? Jag har inte kvar den gamla adressen."),
])
topic("delete-account", "answerable", 5, "account;privacy;gdpr", article="delete-account", en=[
    ("Delete my account", "Please delete my account and all my data. I don't want to shop with you anymore."),
    ("GDPR request", "I'd like my account removed under GDPR. The delete button is greyed out, why?"),
], nl=[
    ("Account verwijderen", "Ik wil mijn account verwijderen. Hoe doe ik dat?"),
], sv=[
    ("Ta bort mitt konto", "Jag vill att ni tar bort mitt konto och alla mina uppgifter. Hur gör jag?"),
])
topic("social-login", "answerable", 4, "login;apple;google", article="social-login", en=[
    ("Orders disappeared after Apple login", "I logged in with Apple and now all my orders are gone. Where are they??"),
    ("Google sign in", "I signed up with Google. Can I also have a normal password for when I'm on my work laptop?"),
], nl=[
    ("Inloggen met Apple", "Ik heb ingelogd met Apple en nu zie ik mijn bestellingen niet meer. Hoe kan dat?"),
], sv=[
    ("Logga in med Google", "När jag väljer Logga in med Google står det bara att något gick fel. Vad ska jag göra?"),
])
topic("not-receiving-emails", "answerable", 6, "email;notifications", article="not-receiving-emails", en=[
    ("No confirmation email", "I placed order {order} an hour ago and never got a confirmation email. Did it go through?"),
    ("Not getting any emails from you", "I'm not receiving any emails from Brightcart anymore, not even the password reset. Checked spam too."),
], nl=[
    ("Geen bevestigingsmail", "Ik heb bestelling {order} geplaatst maar geen bevestiging per e-mail gekregen. Is de bestelling wel gelukt?"),
], sv=[
    ("Inget mejl", "Jag får inga mejl från er längre, varken orderbekräftelse eller något annat. Skräpposten är tom."),
])

# ---------------- billing ----------------
topic("update-payment-method", "answerable", 5, "payment;card", article="update-payment-method", en=[
    ("New card", "My bank sent me a new card. How do I change the card that pays for my Plus membership?"),
    ("Remove old card", "I want to remove an old card from my account but it won't let me. Why?"),
], nl=[
    ("Nieuwe bankpas", "Ik heb een nieuwe creditcard. Hoe pas ik die aan in mijn account?"),
], sv=[
    ("Byta kort", "Mitt kort har gått ut. Hur lägger jag till ett nytt kort för Plus?"),
])
topic("download-invoice", "answerable", 16, "invoice;billing", article="download-invoice", en=[
    ("Invoice needed", "Could you send me an invoice for order {order}? I need it for my home insurance claim."),
    ("Where is my invoice?", "I can't find the invoice for my order {order}. The confirmation email doesn't have one attached."),
    ("Receipt for warranty", "I need a receipt for the {item} I bought on {date} for the warranty. How can I get it?"),
    ("Download invoice button greyed out", "The 'Download invoice' button is grey for order {order}. I ordered {days} days ago."),
    ("Invoice wrong name", "The invoice for {order} has my old surname on it. Can you reissue it please?"),
], nl=[
    ("Factuur nodig", "Kunnen jullie mij de factuur van bestelling {order} sturen? Ik heb hem nodig voor de verzekering."),
    ("Waar vind ik mijn factuur?", "Ik kan de factuur van mijn bestelling niet vinden. Zit die niet bij de bevestigingsmail?"),
    ("Factuur downloaden lukt niet", "De knop om de factuur te downloaden is grijs. Bestelling {order}, geplaatst op {date}."),
], sv=[
    ("Faktura", "Kan ni skicka fakturan för order {order}? Jag behöver den till försäkringsbolaget."),
    ("Var hittar jag fakturan?", "Jag hittar ingen faktura för min beställning {order}. Den fanns inte med i orderbekräftelsen."),
    ("Kvitto", "Jag behöver ett kvitto på {item} som jag köpte {date} för garantin. Hur får jag det?"),
])
topic("double-charge", "answerable", 14, "payment;double-charge", article="double-charge", en=[
    ("Charged twice!!", "I was charged twice for order {order}, {amount} two times on my bank statement. Please refund one of them immediately."),
    ("Double payment", "My banking app shows two payments of {amount} to Brightcart on {date} but I only ordered once."),
    ("Duplicate charge", "Hi, it looks like you took the money twice. One of them says pending. Is that normal?"),
    ("two charges for one order", "i see 2 charges for the same order on my card. can you check please, order {order}"),
], nl=[
    ("Dubbel afgeschreven", "Er is twee keer {amount} van mijn rekening afgeschreven voor bestelling {order}. Graag één keer terugstorten."),
    ("Twee keer betaald", "Ik zie in mijn bankapp twee betalingen aan Brightcart voor één bestelling. Hoe kan dat?"),
], sv=[
    ("Dubbeldragning", "Ni har dragit {amount} två gånger för order {order}. Vill ha tillbaka det ena beloppet."),
    ("Dragit pengar två gånger", "Jag ser två dragningar från Brightcart på kontot men har bara beställt en gång. Den ena står som reserverad."),
])
topic("pay-later-duplicate", "answerable", 6, "pay-later;northpay;double-charge;app", when="post",
      article="known-issue-pay-later-duplicate-charge", en=[
    ("Two Northpay invoices for one order", "I ordered in the app (5.0) and chose pay later with Northpay. Now I have two Northpay payment requests for the same order {order}, both {amount}. Which one do I pay?"),
    ("Northpay double", "Northpay is asking me to pay {amount} twice for one Brightcart order. I paid through the app. Please fix."),
], nl=[
    ("Twee keer Northpay", "Ik heb in de app achteraf betalen met Northpay gekozen en nu staat bestelling {order} twee keer in de Northpay-app. Moet ik beide betalen?"),
], sv=[
    ("Northpay två gånger", "Jag valde att betala senare med Northpay i appen och nu ska jag betala {amount} två gånger för samma order {order}. Vad gäller?"),
])
topic("failed-payment", "answerable", 9, "payment;checkout", article="failed-payment", en=[
    ("Payment keeps failing", "Every time I try to pay it says 'Your payment was declined'. My card works everywhere else."),
    ("Order not going through", "I tried to pay with iDEAL three times, the bank app opens but then nothing happens and no order confirmation."),
    ("Checkout error", "payment not completed error at checkout, tried 2 cards. basket is {amount}. what's going on?"),
], nl=[
    ("Betaling mislukt", "Ik probeer al de hele avond te betalen met iDEAL maar het lukt niet. Het bedrag is wel gereserveerd?"),
    ("Kan niet afrekenen", "Mijn betaling wordt steeds geweigerd bij het afrekenen. Wat kan ik doen?"),
], sv=[
    ("Betalningen går inte igenom", "Jag försöker betala med Swish men det står att betalningen inte slutfördes. Har testat tre gånger."),
    ("Kortet nekas", "Mitt kort nekas hela tiden i kassan. Det fungerar i andra butiker."),
])
topic("pay-later-instalments", "answerable", 6, "pay-later;northpay", article="pay-later-instalments", en=[
    ("Pay in 3?", "Can I split the payment for a {big} into three payments? I don't see the option."),
    ("Pay later after return", "I returned part of my order but Northpay still wants the full amount of {amount}. What do I do?"),
], nl=[
    ("Achteraf betalen", "Kan ik achteraf betalen of in termijnen? Ik wil een {big} bestellen."),
], sv=[
    ("Delbetalning", "Går det att dela upp betalningen på tre månader? Jag vill köpa en {big}."),
])
topic("plus-membership-billing", "answerable", 5, "plus;membership;billing", article="plus-membership-billing", en=[
    ("Plus charged", "I was charged {plus_amount} for Brightcart Plus today. I thought the trial was free?"),
    ("When does Plus renew?", "When is my Plus membership renewed and can I switch from monthly to yearly?"),
], nl=[
    ("Brightcart Plus kosten", "Wat kost Brightcart Plus per maand en wanneer wordt het afgeschreven?"),
], sv=[
    ("Plus förnyelse", "När förnyas mitt Plus-medlemskap? Jag fick en dragning på {plus_amount}."),
])
topic("cancel-plus-membership", "answerable", 12, "plus;cancel;membership", article="cancel-plus-membership", en=[
    ("Cancel Plus", "Please cancel my Brightcart Plus membership. I don't order enough to make it worth it."),
    ("Stop membership", "How do I stop the Plus subscription? I can't find a cancel button anywhere."),
    ("Refund Plus renewal", "My yearly Plus renewed yesterday for {plus_year} without me noticing. I want to cancel and get my money back."),
    ("unsubscribe from plus", "i want to cancel plus, it keeps taking money every month"),
], nl=[
    ("Plus opzeggen", "Ik wil mijn Brightcart Plus lidmaatschap opzeggen. Hoe doe ik dat?"),
    ("Lidmaatschap stopzetten", "Mijn Plus is automatisch verlengd voor {plus_year}. Kan ik nog opzeggen en geld terugkrijgen?"),
], sv=[
    ("Säga upp Plus", "Jag vill säga upp mitt Plus-medlemskap. Var gör jag det?"),
    ("Avsluta medlemskap", "Plus förnyades automatiskt för {plus_year}. Kan jag avsluta och få pengarna tillbaka?"),
])
topic("gift-card-balance", "answerable", 6, "gift-card", article="gift-card-balance", en=[
    ("Gift card balance", "How do I check how much is left on my gift card? I got it for my birthday."),
    ("Gift card expired?", "I have a gift card from last year. Is it still valid and how much is on it?"),
], nl=[
    ("Saldo cadeaukaart", "Hoe kan ik zien hoeveel saldo er nog op mijn cadeaukaart staat?"),
], sv=[
    ("Saldo presentkort", "Hur ser jag hur mycket som finns kvar på mitt presentkort?"),
])
topic("promo-code-not-working", "answerable", 14, "promo;discount;checkout", article="promo-code-not-working", en=[
    ("Discount code not working", "The code {code} doesn't work. It says it can't be used for my order. It was in your newsletter."),
    ("Promo code", "I tried the promo code {code} but it only gave discount on one item?"),
    ("Forgot to use my code", "I forgot to enter my discount code {code} on order {order}. Can you still apply it?"),
    ("voucher code invalid", "voucher {code} says invalid. basket is {amount}. pls help"),
], nl=[
    ("Kortingscode werkt niet", "De kortingscode {code} werkt niet bij het afrekenen. Hoe kan dat?"),
    ("Code vergeten", "Ik ben vergeten mijn kortingscode te gebruiken bij bestelling {order}. Kan dat nog?"),
], sv=[
    ("Rabattkod fungerar inte", "Rabattkoden {code} fungerar inte i kassan. Den kom i ert nyhetsbrev."),
    ("Glömde rabattkoden", "Jag glömde att använda min rabattkod på order {order}. Kan ni lägga till den i efterhand?"),
])

# ---------------- orders ----------------
topic("track-order", "answerable", 20, "tracking;delivery", article="track-order", en=[
    ("Where is my order?", "Where is my order {order}? I ordered on {date} and haven't heard anything."),
    ("Tracking not updating", "The tracking link for {order} just says 'no information'. When will it arrive?"),
    ("Tracking says delivered but nothing here", "{carrier} says my parcel was delivered yesterday but it's not here. Asked the neighbours too."),
    ("Delivery date", "Can you tell me when my {item} will be delivered? Order {order}."),
    ("Track my parcel", "How can I track my parcel? I didn't get a tracking number."),
], nl=[
    ("Waar is mijn bestelling?", "Waar blijft mijn bestelling {order}? Ik heb op {date} besteld."),
    ("Track and trace", "De track-and-trace van {carrier} zegt dat het pakket bezorgd is, maar ik heb niks ontvangen."),
    ("Geen track-and-trace", "Ik heb geen track-and-trace code gekregen voor bestelling {order}. Hoe kan ik mijn pakket volgen?"),
], sv=[
    ("Var är min beställning?", "Var är min order {order}? Jag beställde {date} och har inte fått något."),
    ("Spårning", "Spårningen säger bara 'ingen information'. När kommer paketet?"),
    ("Levererat men inget paket", "{carrier} säger att paketet är levererat men jag har inte fått något."),
])
topic("delivery-delayed", "answerable", 22, "delivery;delay", when="peak", article="delivery-delayed", en=[
    ("Delivery late", "My order {order} was supposed to arrive on {date} and it's still not here. What's going on?"),
    ("Parcel stuck", "Tracking hasn't moved in {days} days. It's been stuck at the {carrier} depot in {city}."),
    ("Still waiting", "I've been waiting over a week for my {item}. This was meant to be a present!"),
    ("Delayed order", "Got an email that my order is delayed because something is out of stock. How long will it be?"),
    ("Late delivery - {order}", "Expected delivery was last week. Nothing yet. Can you chase {carrier}?"),
], nl=[
    ("Bestelling vertraagd", "Mijn bestelling {order} had op {date} bezorgd moeten worden maar is er nog steeds niet."),
    ("Pakket staat stil", "De track-and-trace is al {days} dagen niet veranderd. Wat is er aan de hand?"),
    ("Nog steeds niet ontvangen", "Ik wacht al meer dan een week op mijn {item}. Kunnen jullie navragen waar het blijft?"),
], sv=[
    ("Försenad leverans", "Min order {order} skulle komma {date} men har fortfarande inte kommit."),
    ("Paketet står still", "Spårningen har inte ändrats på {days} dagar. Paketet står på terminalen i {city}."),
    ("Väntar fortfarande", "Jag har väntat över en vecka på {item} som jag beställde. Vad händer?"),
])
topic("change-delivery-address", "answerable", 8, "address;delivery", article="change-delivery-address", en=[
    ("Wrong address", "I put the wrong house number on order {order}. Can you change it before it ships?"),
    ("Change delivery address", "I'm moving on {fdate}, can the order be delivered to my new address in {city} instead?"),
], nl=[
    ("Verkeerd adres", "Ik heb een verkeerd huisnummer ingevuld bij bestelling {order}. Kunnen jullie het adres aanpassen?"),
], sv=[
    ("Fel adress", "Jag skrev fel adress på order {order}. Kan ni ändra innan den skickas?"),
])
topic("missing-item", "answerable", 9, "missing-item;parcel", article="missing-item", en=[
    ("Item missing", "My parcel arrived today but the {item} is missing. Everything else is there. Order {order}."),
    ("Only got part of my order", "I ordered 3 things and only 2 arrived. Is the rest coming separately?"),
], nl=[
    ("Artikel ontbreekt", "Mijn pakket is aangekomen maar mijn {item} zit er niet in. Bestelling {order}."),
], sv=[
    ("Vara saknas", "Paketet kom idag men {item} saknas. Order {order}."),
])
topic("damaged-delivery", "answerable", 11, "damaged;delivery", article="damaged-delivery", en=[
    ("Arrived broken", "The {item} arrived smashed. The box was completely crushed. What now?"),
    ("Damaged item", "My {big} arrived with a big scratch on the top and a dent in the side. I'm really disappointed."),
    ("Broken glass", "One of the glasses in the set was broken when I opened the box. Can you send a new one?"),
], nl=[
    ("Kapot aangekomen", "Mijn {item} is kapot aangekomen. De doos was helemaal ingedeukt. Wat nu?"),
    ("Beschadigd", "Er zit een flinke kras op mijn {big}. Vandaag bezorgd, echt balen."),
], sv=[
    ("Trasig vara", "Paketet med {item} kom idag och innehållet var trasigt. Kartongen var helt mosad. Vad gör jag nu?"),
    ("Skadad leverans", "Leveransen idag ({big}) har en stor repa. Mycket besviken."),
])
topic("order-cancelled", "answerable", 5, "cancelled;order-status", article="order-cancelled", en=[
    ("Why was my order cancelled?", "I just got an email that my order {order} was cancelled. I didn't cancel it! Why?"),
    ("Order cancelled without reason", "You cancelled my order. Was I charged? I still see {amount} reserved."),
], nl=[
    ("Bestelling geannuleerd", "Waarom is mijn bestelling {order} geannuleerd? Ik heb dat niet gedaan."),
], sv=[
    ("Order avbruten", "Varför har min order {order} avbrutits? Jag har inte gjort det själv."),
])
topic("cancel-order", "answerable", 8, "cancel;order", article="cancel-order", en=[
    ("Cancel order", "Please cancel order {order}, I ordered the wrong colour."),
    ("Cancel my order please", "I accidentally ordered twice. Can you cancel one of them?"),
], nl=[
    ("Bestelling annuleren", "Kan ik bestelling {order} nog annuleren? Ik heb per ongeluk de verkeerde maat besteld."),
], sv=[
    ("Avbryt beställning", "Kan ni avbryta order {order}? Jag beställde fel färg."),
])

# ---------------- returns ----------------
topic("start-return", "answerable", 10, "returns", when="pre", article="start-return", en=[
    ("How do I return something?", "I want to return the {item}. How do I do that? Do I need to contact you first?"),
    ("Return", "How do I send back part of my order {order}? I'm using the app, version {ver}."),
    ("Return an item", "The {item} isn't what I expected. How do I start a return?"),
], nl=[
    ("Retourneren", "Hoe kan ik mijn {item} retourneren? Moet ik eerst iets aanmelden?"),
], sv=[
    ("Returnera", "Hur returnerar jag {item}? Måste jag anmäla returen först?"),
])
topic("return-label", "answerable", 9, "returns;return-label", article="return-label", en=[
    ("Return label", "I don't have a printer. Can I still return my order without printing a label?"),
    ("Label won't scan", "The drop-off point couldn't scan my return QR code. What do I do?"),
    ("Lost return label", "I registered a return last week but deleted the email with the label. Can you resend it?"),
], nl=[
    ("Retourlabel", "Ik heb geen printer. Hoe kan ik mijn retourlabel gebruiken?"),
    ("QR-code werkt niet", "Het PostNL-punt kon mijn QR-code voor de retour niet scannen."),
], sv=[
    ("Returetikett", "Jag har ingen skrivare. Hur får jag en returetikett?"),
    ("QR-koden fungerar inte", "Ombudet kunde inte skanna QR-koden för min retur. Vad gör jag?"),
])
topic("refund-timeline", "answerable", 18, "refund;returns", article="refund-timeline", en=[
    ("Where is my refund?", "I returned my {item} {days} days ago and still haven't had my money back. How long does it take?"),
    ("Refund not received", "You emailed me that the refund is on its way but I don't see {amount} on my card yet."),
    ("Refund", "When will I get my refund for order {order}? I dropped the parcel off at {carrier} on {date}."),
    ("Money back?", "Still no refund for my return, it's been 2 weeks. Status says on its way to us."),
], nl=[
    ("Geld terug?", "Ik heb mijn {item} {days} dagen geleden teruggestuurd maar nog geen geld terug. Hoe lang duurt dat?"),
    ("Terugbetaling", "Wanneer krijg ik mijn geld terug voor bestelling {order}? Het retourpakket is op {date} afgegeven."),
], sv=[
    ("Återbetalning", "Jag skickade tillbaka {item} för {days} dagar sedan men har inte fått pengarna. Hur lång tid tar det?"),
    ("Pengarna tillbaka?", "När får jag tillbaka pengarna för order {order}? Paketet lämnades in {date}."),
])
topic("exchange-item", "answerable", 5, "exchange;returns", article="exchange-item", en=[
    ("Exchange size", "The duvet cover is the wrong size. Can I exchange it for the 200x220 one?"),
    ("Swap colour", "Can I swap the {item} for a different colour instead of returning it?"),
], nl=[
    ("Ruilen", "Kan ik mijn {item} ruilen voor een andere kleur?"),
], sv=[
    ("Byta storlek", "Kan jag byta påslakanet mot en annan storlek?"),
])
topic("sale-items-return-window", "answerable", 4, "returns;sale", article="sale-items-return-window", en=[
    ("Return sale item", "I bought the {item} in the sale 3 weeks ago. Can I still return it?"),
], nl=[
    ("Uitverkoop retour", "Kan ik een artikel uit de uitverkoop nog retourneren? Ik heb het 10 dagen geleden ontvangen."),
], sv=[
    ("Returnera reavara", "Kan jag returnera en vara som jag köpte på rean?"),
])
topic("return-plus-order", "answerable", 3, "returns;plus", article="return-plus-order", en=[
    ("Plus pickup", "As a Plus member, can you pick up my return from home? It's a {big}."),
], nl=[
    ("Retour ophalen Plus", "Ik ben Plus-lid. Kunnen jullie mijn retour thuis ophalen?"),
], sv=[
    ("Hämtning av retur", "Jag är Plus-medlem. Kan ni hämta min retur hemma?"),
])

# ---------------- gaps: no article covers these ----------------
topic("gap-business", "gap", 13, "business;vat;bulk-order", en=[
    ("Business order with VAT number", "We are a small café in {city} and would like to order 40 chairs. Can we get an invoice with our company name and VAT number on it?"),
    ("Bulk discount?", "Do you offer a discount for bulk orders? We're furnishing 12 holiday flats and need {n} of the same {item}."),
    ("Company account", "Is there a business account option so several colleagues can order on one company invoice?"),
    ("Reverse charge VAT", "We're a VAT-registered company in another EU country. Can you apply reverse charge so we don't pay Dutch VAT?"),
], nl=[
    ("Zakelijk bestellen", "Wij zijn een kantoor in {city} en willen {n} bureaustoelen bestellen. Kan dat op factuur met ons btw-nummer?"),
    ("Zakelijk account", "Hebben jullie een zakelijk account met korting voor grote bestellingen?"),
], sv=[
    ("Företagsbeställning", "Vi är ett företag i {city} och vill beställa {n} stolar. Kan vi få faktura med vårt organisationsnummer och momsregistreringsnummer?"),
    ("Mängdrabatt", "Har ni rabatt för företag som beställer stora mängder?"),
])
topic("gap-gift-wrap", "gap", 11, "gift;gift-wrap", en=[
    ("Gift wrapping", "Do you offer gift wrapping? I want to send the {item} straight to my sister."),
    ("Add a gift message", "Can I add a gift message to my order {order}? It's a birthday present."),
    ("Hide the price", "I'm sending a present to my mum. Can you make sure the price isn't on the packing slip?"),
], nl=[
    ("Cadeauverpakking", "Kunnen jullie mijn bestelling ({item}) als cadeau inpakken? Het is voor een verjaardag."),
    ("Kaartje erbij", "Kan ik een persoonlijk kaartje met een tekst meesturen bij mijn bestelling?"),
], sv=[
    ("Presentinslagning", "Kan ni slå in {item} som present? Paketet ska skickas direkt till mottagaren."),
    ("Hälsning i paketet", "Går det att lägga till ett presentkort med en hälsning i paketet?"),
])
topic("gap-price-match", "gap", 11, "price;price-adjustment", en=[
    ("Price dropped after I bought", "I bought the {item} for {amount} on {date} and now it's 20% cheaper. Can I get the difference back?"),
    ("Price match", "I found the same {big} cheaper at another shop. Do you price match?"),
    ("Price went down", "The {item} I ordered last week is now on sale. Can you refund the difference without me returning it?"),
], nl=[
    ("Prijs verlaagd", "Ik heb vorige week een {item} gekocht en nu is de prijs verlaagd. Krijg ik het verschil terug?"),
    ("Prijsgarantie", "Hebben jullie een laagsteprijsgarantie? Bij een andere winkel kost precies zo'n {big} minder."),
], sv=[
    ("Priset har sänkts", "Jag köpte {item} för {amount} och nu har priset sänkts. Kan jag få mellanskillnaden tillbaka?"),
    ("Prisgaranti", "Har ni prismatchning? Samma {big} är billigare i en annan butik."),
])
topic("gap-assembly", "gap", 10, "assembly;furniture", en=[
    ("Assembly service", "Do you offer an assembly service for the {big}? I'm not very handy."),
    ("Can someone build it?", "Can the delivery people assemble the {big} when they bring it?"),
    ("Installation", "Is there an option to have the wall mirror and shelves installed? Happy to pay."),
], nl=[
    ("Montage", "Bieden jullie een montageservice aan? Ik heb een {big} besteld."),
    ("In elkaar zetten", "Kunnen de bezorgers mijn {big} ook meteen in elkaar zetten?"),
], sv=[
    ("Montering", "Erbjuder ni montering av {big}? Jag är inte så händig."),
    ("Monteringshjälp", "Kan budet montera {big} när de levererar?"),
])

# ---------------- drift: app 5.0 moved the return button ----------------
topic("drift-app5-return", "drift", 30, "returns;app", when="post", en=[
    ("Can't find return button", "I updated the app to {ver5} and there is no Return item button anymore on my order. Your help page says Orders > Return item but it's just not there."),
    ("Return option gone in new app", "Since the new app update I can't return anything. I open the order and the return button is gone. I need to send back the {item} before the deadline!"),
    ("App 5.0 return", "Where did the return button go in app version 5.0? The help article still shows the old way."),
    ("Help article out of date", "Your 'Start a return' article tells me to tap Orders > Return item. That doesn't exist in {ver5}. How do I return order {order}?"),
    ("return item missing", "new app version, return item button missing. tried reinstalling. order {order}"),
], nl=[
    ("Retourknop weg", "Sinds de update naar app {ver5} kan ik de knop Return item niet meer vinden bij mijn bestelling. Hoe meld ik nu een retour aan?"),
    ("Retourneren in nieuwe app", "In de nieuwe app staat er geen retourknop meer bij mijn bestelling {order}. Op jullie hulppagina staat het nog anders."),
], sv=[
    ("Returknappen borta", "Efter uppdateringen till appen {ver5} finns ingen knapp för att returnera på min beställning. Hur gör jag nu?"),
    ("Retur i nya appen", "Jag hittar inte var man returnerar i nya appen (5.0). Er hjälpartikel säger Orders > Return item men den finns inte."),
])

# ---------------- noise ----------------
topic("noise", "noise", 18, "misc", en=[
    ("Re: your question", "Thanks, it's sorted now. You can close this."),
    ("Office address", "Where is your office? Can I come by to pick up my order?"),
    ("Showroom", "Do you have a showroom where I can see the sofas in real life?"),
    ("Thank you", "Just wanted to say the driver was lovely and very careful with the {big}. Thanks!"),
    ("Ignore my previous email", "Please ignore my last email, I found it."),
    ("Job", "Are you hiring customer service staff? I speak English, Dutch and Swedish."),
], nl=[
    ("Opgelost", "Het is al opgelost, bedankt!"),
    ("Winkel", "Hebben jullie ook een winkel in {city}?"),
], sv=[
    ("Löst", "Tack, det har löst sig nu."),
    ("Butik", "Har ni en fysisk butik i {city}?"),
])

# --------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------


def fmt_date(d, lang):
    if lang == "en":
        return f"{d.day} {MONTHS['en'][d.month - 1]}"
    return f"{d.day} {MONTHS[lang][d.month - 1]}"


def money(rng, country):
    if country == "NL":
        v = rng.choice([19.95, 24.99, 34.95, 49.95, 59.0, 79.95, 89.0, 129.0, 249.0, 399.0])
        return "€ " + f"{v:.2f}".replace(".", ",") if rng.random() < 0.5 else f"€{v:.2f}"
    if country == "SE":
        v = rng.choice([199, 249, 349, 499, 649, 799, 1299, 1995, 3490])
        return f"{v:,} kr".replace(",", " ")
    v = rng.choice([14.99, 22.5, 29.99, 45.0, 59.99, 79.0, 119.0, 229.0, 349.0])
    return f"£{v:.2f}"


def app_version(rng, when_dt):
    if when_dt >= APP5_RELEASE:
        return rng.choice(["5.0", "5.0.1", "5.0.2", "5.0.2"])
    return rng.choice(["4.8", "4.9", "4.9.1", "4.9.3"])


def pick_datetime(rng, when):
    if when == "pre":
        lo, hi = START, APP5_RELEASE - timedelta(days=1)
    elif when == "post":
        lo, hi = APP5_RELEASE + timedelta(days=1), END
    elif when == "peak" and rng.random() < 0.45:
        lo, hi = rng.choice([(START, datetime(2025, 12, 31)),
                             (datetime(2026, 11, 1), END)])
    else:
        lo, hi = START, END
    day = lo + timedelta(days=rng.randrange((hi - lo).days + 1))
    hour = rng.choices(range(24), weights=[1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 13,
                                           12, 12, 12, 11, 10, 10, 12, 13, 11, 8, 5, 2])[0]
    return day.replace(hour=hour, minute=rng.randrange(60), second=0)


def add_typos(rng, text):
    words = list(MISSPELLINGS.items())
    rng.shuffle(words)
    changed = 0
    for right, wrong in words:
        if right in text and changed < 2:
            text = text.replace(right, wrong, 1)
            changed += 1
    if changed == 0:
        toks = text.split(" ")
        idx = [i for i, w in enumerate(toks) if len(w) > 5 and w.isalpha()]
        if idx:
            i = rng.choice(idx)
            w = toks[i]
            j = rng.randrange(1, len(w) - 2)
            toks[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
            text = " ".join(toks)
    return text


def build_languages(rng, n):
    n_nl = round(n * 0.2)
    n_sv = round(n * 0.2)
    langs = ["en"] * (n - n_nl - n_sv) + ["nl"] * n_nl + ["sv"] * n_sv
    rng.shuffle(langs)
    return langs


def main(argv):
    rng = random.Random(SEED)
    plan = []
    for key, t in T.items():
        plan += [key] * t["count"]
    rng.shuffle(plan)
    langs = build_languages(rng, len(plan))

    # PII (e-mail address or phone number) goes into a handful of tickets.
    pii_slots = set(rng.sample(range(len(plan)), 6))

    tickets = []
    order_numbers = set()
    for i, (key, lang) in enumerate(zip(plan, langs)):
        t = T[key]
        country = {"nl": "NL", "sv": "SE"}.get(lang) or rng.choice(["UK", "UK", "UK", "NL", "SE"])
        created = pick_datetime(rng, t["when"])
        name = rng.choice(NAMES[lang])
        full = f"{name} {rng.choice(SURNAMES[lang])}"
        while True:
            order = f"BC-{rng.randrange(100000, 999999)}"
            if order not in order_numbers:
                order_numbers.add(order)
                break
        past = created - timedelta(days=rng.randrange(3, 16))
        local = (name.lower() + "." + full.split()[-1].lower()).replace(" ", "")
        fill = dict(
            order=order, item=rng.choice(ITEMS[lang]), big=rng.choice(BIG_ITEMS[lang]),
            amount=money(rng, country), fdate=fmt_date(created + timedelta(days=rng.randrange(3, 10)), lang),
            plus_year={"NL": "€59", "SE": "649 kr", "UK": "£49"}[country],
            plus_amount=rng.choice([{"NL": "€59", "SE": "649 kr", "UK": "£49"}, {"NL": "€5,99", "SE": "65 kr", "UK": "£4.99"}])[country], date=fmt_date(past, lang), days=rng.randrange(4, 15),
            carrier=rng.choice(CARRIERS[country]), city=rng.choice(CITIES[country]),
            code=rng.choice(PROMO_CODES), n=rng.choice([8, 12, 15, 20, 25, 40]),
            ver=app_version(rng, created), ver5=rng.choice(["5.0", "5.0.1", "5.0.2", "version 5.0"]),
            email_old=f"{local}@example.com", email_new=f"{local}{rng.randrange(10, 99)}@example.net",
        )
        subject, body = rng.choice(t[lang])
        subject, body = subject.format(**fill), body.format(**fill)
        if rng.random() < 0.05:
            subject = rng.choice(GENERIC_SUBJECTS[lang]).format(**fill)

        parts = []
        greeting = rng.choice(GREETINGS[lang])
        if greeting:
            parts.append(greeting)
        quoted = t["kind"] != "noise" and rng.random() < 0.06
        text = body
        if quoted:
            text = rng.choice(FOLLOW_UP_LINES[lang]) + "\n\n" + text
        if rng.random() < 0.18:
            text = rng.choice(MOODS_BEFORE[lang]) + " " + text
        if rng.random() < 0.22:
            if text[-1] not in ".!?":
                text += "."
            text = text + " " + rng.choice(MOODS_AFTER[lang])
        if i in pii_slots:
            if rng.random() < 0.5:
                phone = {"NL": f"+31 6 {rng.randrange(1000, 9999)} {rng.randrange(1000, 9999)}",
                         "SE": f"070-174 06 {rng.randrange(5, 99):02d}",
                         "UK": f"07700 900{rng.randrange(0, 999):03d}"}[country]
                text += {"en": f" You can call me on {phone}.",
                         "nl": f" Je kunt me bellen op {phone}.",
                         "sv": f" Ni når mig på {phone}."}[lang]
            else:
                text += {"en": f" Please reply to {local}@example.org, not this address.",
                         "nl": f" Mail me liever terug op {local}@example.org.",
                         "sv": f" Svara gärna till {local}@example.org i stället."}[lang]
        if lang == "en" and rng.random() < 0.08:
            text = add_typos(rng, text)
            if rng.random() < 0.3:
                text = text.lower()
        parts.append(text)
        closing = rng.choice(CLOSINGS[lang]).format(name=name, full=full)
        if closing:
            parts.append(closing)
        body_out = "\n\n".join(parts)
        if quoted:
            qdate = fmt_date(created - timedelta(days=rng.randrange(2, 9)), lang)
            qbody = rng.choice(QUOTE_BODIES[lang]).format(name=name)
            body_out += "\n\n" + QUOTE_HEADERS[lang].format(qdate=qdate) + "\n" + \
                "\n".join("> " + line for line in qbody.split("\n"))

        tags = t["tags"].split(";")
        if rng.random() < 0.06:
            tags = []  # agents forget to tag now and then
        elif "app" not in tags and ("app" in body.lower().split() or "{ver}" in body):
            tags.append("app")
        tickets.append(dict(created=created, subject=subject, body=body_out,
                            tags=";".join(tags), language=lang, _topic=key, _kind=t["kind"]))

    tickets.sort(key=lambda x: x["created"])
    for n, tk in enumerate(tickets, start=1001):
        tk["id"] = f"T-{n}"

    with open(OUT, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "created", "subject", "body", "tags", "language"])
        for tk in tickets:
            w.writerow([tk["id"], tk["created"].strftime("%Y-%m-%dT%H:%M:00Z"),
                        tk["subject"], tk["body"], tk["tags"], tk["language"]])

    kinds = Counter(tk["_kind"] for tk in tickets)
    langs_c = Counter(tk["language"] for tk in tickets)
    print(f"wrote {len(tickets)} tickets to {os.path.relpath(OUT)}")
    print("kinds:    " + ", ".join(f"{k}={v}" for k, v in sorted(kinds.items())))
    print("language: " + ", ".join(f"{k}={v}" for k, v in sorted(langs_c.items())))
    if "--summary" in argv:
        by_topic = defaultdict(list)
        for tk in tickets:
            by_topic[tk["_topic"]].append(tk["id"])
        for key, ids in sorted(by_topic.items(), key=lambda kv: -len(kv[1])):
            art = T[key]["article"] or "-"
            print(f"{len(ids):3d}  {key:28s} article={art:38s} {' '.join(ids[:6])}{' ...' if len(ids) > 6 else ''}")


if __name__ == "__main__":
    main(sys.argv[1:])
