"""The SKM survey of a walk-in without an account: a code printed on the ticket.

A citizen with an account is sent the survey's link in a notice; a walk-in has nobody
to send it to, so the kiosk prints the link on the ticket itself. Intake draws a random
code for the ticket and shows it once, on the ticket (and in the answer a kiosk's retry
is given again); it stores and announces only the code's digest, bound to the ticket's
id. Notify opens the ticket's survey when the ticket is served, with that digest and an
end (:data:`WALK_IN_SURVEY_DAYS` after serving), and lets the holder of the code answer
it once. Neither service holds a key the other's links are signed with: intake cannot
compute a citizen's survey link, and the queue topic never carries a usable code.
"""

import hashlib
import hmac
import secrets
from urllib.parse import quote

from shared.settings import Settings
from shared.web import site_url

__all__ = [
    "WALK_IN_CODE_LENGTH",
    "WALK_IN_SURVEY_DAYS",
    "code_matches",
    "new_code",
    "survey_digest",
    "survey_link",
    "survey_pages",
]

_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
"""Like a booking code's: no 0/O, 1/I, easy to type from paper."""
WALK_IN_CODE_LENGTH = 12
"""60 random bits: not guessed online, and not worth a search offline from the digest."""
WALK_IN_SURVEY_DAYS = 7
"""How long after serving a ticket's code opens its survey: a visit is rated while it is
remembered, and a lost ticket stops being usable."""


def new_code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(WALK_IN_CODE_LENGTH))


def survey_digest(ticket_id: str, code: str) -> str:
    """What is stored and announced instead of the code; bound to the ticket, so one
    ticket's code opens no other ticket's survey."""
    return hashlib.sha256(f"walk-in-survey|{ticket_id}|{code.upper()}".encode()).hexdigest()


def code_matches(ticket_id: str, code: str, digest: str) -> bool:
    return hmac.compare_digest(survey_digest(ticket_id, code), digest)


def survey_pages(settings: Settings) -> str:
    """Where notify's survey pages are, as a citizen's phone reaches them."""
    return site_url(settings, "notify")


def survey_link(pages: str, ticket_id: str, code: str) -> str:
    """The survey page of the ticket, opened by its code without signing in (the page
    moves the code out of the address at once, as it does a notice's link token)."""
    return f"{pages}/surveys/{quote(ticket_id, safe='')}?t={code}"
