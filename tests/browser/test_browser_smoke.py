"""Smoke: the harness works end to end (home page, sign up, log out, log in) with CSRF on."""
import pytest
from playwright.sync_api import expect

from e2e_helpers import label, log_in, log_out, sign_up

pytestmark = pytest.mark.browser


def test_home_signup_logout_login(new_page, live_server):
    page = new_page("Asia/Tokyo")
    response = page.goto("/")
    assert response.status == 200
    expect(page.get_by_role("heading", name="Virtual brokerage events")).to_be_visible()
    # The browser clock is the user's: Tokyo is UTC+9 all year.
    assert page.evaluate("new Date().getTimezoneOffset()") == -540

    sign_up(page, live_server, "kenji@osaka.example", "Kenji Tanaka")
    expect(page.get_by_text("Welcome! Your account is ready.")).to_be_visible()
    log_out(page)
    expect(page.get_by_text("You are logged out.")).to_be_visible()

    # A wrong password is refused with the form's message, then the right one works.
    page.goto("/accounts/login")
    page.get_by_label(label("Email")).fill("kenji@osaka.example")
    page.get_by_label(label("Password")).fill("not the password")
    page.locator("main").get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Email or password is not right.")).to_be_visible()
    log_in(page, "kenji@osaka.example")
    expect(page.get_by_text("kenji@osaka.example")).to_be_visible()
    assert not new_page.page_errors


def test_form_without_csrf_token_is_refused(new_page, live_server):
    """CSRF is really on in the live app: a forged post (token removed) gets the friendly 400."""
    page = new_page()
    page.goto("/accounts/signup")
    page.locator("input[name=csrf_token]").evaluate("el => el.remove()")
    page.get_by_label(label("Your name")).fill("Forger")
    page.get_by_label(label("Email")).fill("forger@example.com")
    page.locator("main").get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("The form expired or was not sent from this site")).to_be_visible()


def test_a_form_with_problems_puts_focus_on_its_summary(new_page, live_server):
    """After a reload with errors, keyboard and screen-reader users start at the list of problems."""
    page = new_page()
    page.goto("/accounts/signup")
    page.get_by_label(label("Your name")).fill("Kenji Tanaka")
    page.get_by_label(label("Email")).fill("kenji@osaka")
    page.locator("main").get_by_role("button", name="Sign up").click()
    summary = page.locator("[id$='form-problems']")
    expect(summary).to_be_focused()
    assert page.title().startswith("Error: ")
    page.keyboard.press("Tab")  # the summary's first link leads to the field to correct
    page.keyboard.press("Enter")
    expect(page.get_by_label(label("Email"))).to_be_focused()
    assert not new_page.page_errors
