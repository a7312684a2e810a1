"""How the list of signed-in devices names a sign-in at the provider.

A person reading their devices (the portal's security page) recognises them by browser
and system, "Portal web — Chrome, Android", not by a client's id: the name is read from
the browser that typed the password on the provider's page, and kept with the code
until the exchange starts the device's refresh family.
"""

import re

__all__ = ["device_label"]

_BROWSERS = (
    ("Edg/", "Edge"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS", "macOS"),
    ("Linux", "Linux"),
)
_SHORT_NAMES = {"portal": "Portal web"}  # a client's words on the list, else its name


def device_label(client_id: str, client_name: str, user_agent: str | None) -> str:
    """ "Portal web — Chrome, Android"; the browser's own words, cut short, when
    neither browser nor system is recognised."""
    agent = user_agent or ""
    browser = next((name for mark, name in _BROWSERS if mark in agent), None)
    system = next((name for mark, name in _SYSTEMS if mark in agent), None)
    known = ", ".join(part for part in (browser, system) if part)
    shown = known or re.sub(r"[^\w ./()-]+", " ", agent).strip()[:60] or "?"
    return f"{_SHORT_NAMES.get(client_id, client_name)} — {shown}"
