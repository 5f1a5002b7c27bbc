"""Helpers shared by the browser tests (imported by module name; tests/browser is on sys.path)."""
from __future__ import annotations

import re

PASSWORD = "correct horse battery"


def label(text: str):
    """A form label as the forms macro renders it: the text, plus " *" when the field is required."""
    return re.compile(r"^\s*" + re.escape(text) + r"(\s*\*)?\s*$")

def sign_up(page, live_server, email: str, name: str, password: str = PASSWORD):
    """Sign up, then open the link mailed to the address and choose the password, as a person does."""
    from playwright.sync_api import expect

    from tests.support import mailed_link

    page.goto("/accounts/signup")
    page.get_by_label(label("Your name")).fill(name)
    page.get_by_label(label("Email")).fill(email)
    page.locator("main").get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    page.goto(mailed_link(live_server.app, email, "Confirm your address"))
    page.get_by_label(label("Choose a password")).fill(password)
    page.get_by_label(label("Repeat password")).fill(password)
    page.locator("main").get_by_role("button", name="Create my account").click()
    expect(page.get_by_text(email)).to_be_visible()


def log_in(page, email: str, password: str = PASSWORD):
    from playwright.sync_api import expect

    page.goto("/accounts/login")
    page.get_by_label(label("Email")).fill(email)
    page.get_by_label(label("Password")).fill(password)
    page.locator("main").get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def log_out(page):
    from playwright.sync_api import expect

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()


def main_text(page) -> str:
    """The server-rendered main content as text (whitespace collapsed)."""
    return " ".join(page.locator("main").inner_text().split())


def register(page, slug: str, organisation: str, country: str, timezone: str, sector: str = "Robotics",
             description: str = "", expect_first_zone: str | None = None):
    """Register for the event through the profile form: country chosen, then the zone from the reordered list."""
    from playwright.sync_api import expect

    page.goto(f"/events/{slug}")
    page.locator("#register-button").click()
    expect(page.get_by_role("heading", name=re.compile("^Register for"))).to_be_visible()
    page.get_by_label(label("Organisation name")).fill(organisation)
    page.get_by_label(label("Country")).select_option(country)
    if expect_first_zone:
        # The country's own zones come first (the first option is the "Choose…" prompt).
        expect(page.locator("#timezone option").nth(1)).to_have_attribute("value", expect_first_zone)
    page.get_by_label(label("Organisation type")).select_option("sme")
    page.get_by_label(sector, exact=True).check()
    page.get_by_label(label("Your time zone")).select_option(timezone)
    if description:
        page.get_by_label(label("What your organisation does")).fill(description)
    page.locator("#save-profile").click()
    expect(page.locator("#registration-status")).to_contain_text(f"You are registered as {organisation}")


def add_opportunity(page, slug: str, kind_label: str, title: str, description: str = "", keywords: str = ""):
    from playwright.sync_api import expect

    page.goto(f"/events/{slug}/opportunities")
    page.get_by_label(label("Type")).select_option(label=kind_label)
    page.get_by_label(label("Title")).fill(title)
    page.get_by_label(label("Description")).fill(description)
    page.get_by_label(label("Keywords (comma-separated)")).fill(keywords)
    page.locator("#add-opportunity").click()
    expect(page.locator("#my-opportunities")).to_contain_text(title)


def table_rows(locator) -> list[list[str]]:
    """A table's body rows as lists of cell texts (whitespace collapsed)."""
    rows = []
    for row in locator.locator("tbody tr").all():
        rows.append([" ".join(cell.inner_text().split()) for cell in row.locator("td, th").all()])
    return rows


def download(page, trigger) -> bytes:
    """Click `trigger` (a locator) and return the downloaded file's bytes."""
    with page.expect_download() as info:
        trigger.click()
    path = info.value.path()
    with open(path, "rb") as f:
        return f.read()
