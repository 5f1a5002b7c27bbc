from __future__ import annotations

import json
import math
import re
import time
from datetime import timedelta

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from brokerage import mail
from brokerage.links import base_url
from brokerage.accounts import personal_data
from brokerage.accounts.forms import (ConfirmForm, DeleteAccountForm, EmailChangeForm, LoginForm, NameForm,
                                      PasswordChangeForm, ResetPasswordForm, ResetRequestForm, SignupFinishForm,
                                      SignupForm)
from brokerage.accounts.models import AddressMail, User, spend_a_password_check
from brokerage.extensions import db, limiter
from brokerage.timeutil import now_utc

bp = Blueprint("accounts", __name__, url_prefix="/accounts")
RESET_MAX_AGE = 3600 * 2
INVITE_MAX_AGE = 3600 * 24 * 7  # invitations from an import are read over days, not within the hour
EMAIL_CHANGE_MAX_AGE = 3600 * 24 * 2
# Sign-up, reset and email-change mails go to any address typed: one per address in this window, not a mail cannon.
ONE_MAIL_EVERY = timedelta(minutes=10)
# Per client address, on top of the per-mailbox window above: guessing passwords, and mailing many addresses.
FAILED_LOGINS = "10 per minute; 60 per hour"
ANY_LOGINS = "30 per minute; 300 per hour"
MAILS_ASKED = "20 per hour"
SIGNUP_MAX_AGE = 3600 * 24 * 2
SAFE_PATH = re.compile(r"/(?!/)[^\x00-\x20\\]*")


def _safe_next(target: str | None) -> str:
    # Only same-site paths, so a crafted link cannot bounce a user elsewhere after login. Browsers read
    # "/\host" and "/<tab>/host" as "//host", so backslashes, spaces and control characters are refused too.
    if target and SAFE_PATH.fullmatch(target):
        return target
    return url_for("home")


def _signup_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="signup")


def _busy_page(template: str, form_class, message: str):
    """A form refused for a limit: shown again with what was typed (never the password), why, and for how long."""
    def respond(limit) -> Response:
        wait = max(1, limit.reset_at - int(time.time()))
        minutes = math.ceil(wait / 60)
        # Said of the whole form: nothing typed is wrong.
        flash(f"{message} Try again in about {minutes} minute{'s' if minutes > 1 else ''}.", "error")
        return Response(render_template(template, form=form_class()), 429, {"Retry-After": str(wait)})
    return respond


def _mailed(response: Response) -> bool:
    return response.status_code == 302


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(MAILS_ASKED, methods=["POST"], deduct_when=_mailed, on_breach=_busy_page(
    "accounts/signup.html", SignupForm, "Many sign-ups came from your network in the last hour."))
def signup():
    """Every valid sign-up gets the same answer, "check your inbox", so the form reveals nobody's account. What
    differs goes to the mailbox, which only its owner reads: a link to choose a password and finish, or, where
    the address has an account already, how to log in. No account exists before the link is opened, so
    typing someone else's address gets nobody anything."""
    form = SignupForm()
    if form.validate_on_submit():
        email, now = User.normalise_email(form.email.data), now_utc()
        if _claim_address_mail(email, "signup", now) and not mail.try_send(_signup_mail(email, form.name.data.strip())):
            _release_address_mail(email, "signup", now)
            flash("We could not send mail just now. Please try again in a few minutes.", "error")
            return render_template("accounts/signup.html", form=form), 503
        session["signup_email"] = email
        return redirect(url_for(".signup_sent"))
    return render_template("accounts/signup.html", form=form)


def _claim_address_mail(email: str, kind: str, now) -> bool:
    """Take the address's one mail of this kind in the window; False if one went out within it. The key is the
    claim (of two requests at once, one mails), committed before the mail server is asked, which may be slow."""
    insert = (postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert)(AddressMail)
    claimed = db.session.execute(insert.values(email=email, kind=kind, sent_at=now).on_conflict_do_update(
        index_elements=["email", "kind"], set_={"sent_at": now}, where=AddressMail.sent_at <= now - ONE_MAIL_EVERY)
        .returning(AddressMail.email)).first() is not None  # psycopg reports no row count here
    db.session.commit()
    try:
        db.session.execute(db.delete(AddressMail).where(AddressMail.sent_at <= now - ONE_MAIL_EVERY))
        db.session.commit()
    except sa.exc.DBAPIError:  # two sweeps at once can deadlock on PostgreSQL: the next request sweeps
        db.session.rollback()
    return claimed


def _release_address_mail(email: str, kind: str, now) -> None:
    """The mail could not be sent: free the address to try again at once."""
    db.session.execute(db.delete(AddressMail).filter_by(email=email, kind=kind, sent_at=now))
    db.session.commit()


def _signup_mail(email: str, name: str) -> mail.Mail:
    user = db.session.scalar(db.select(User).filter_by(email=email))
    if user is not None:
        reset = base_url() + url_for("accounts.reset_password", token=reset_token(user))
        return mail.template_mail(email, "You have a brokerage account already", "mail/signup_existing.txt",
                                  user=user, login=base_url() + url_for("accounts.login"), link=reset)
    next_path = request.args.get("next", "")
    token = _signup_serializer().dumps({"em": email, "name": name, "next": next_path if SAFE_PATH.fullmatch(next_path)
                                        and len(next_path) <= 300 else None})
    return mail.template_mail(email, "Confirm your address to finish signing up", "mail/signup_confirm.txt",
                              email=email, link=base_url() + url_for("accounts.confirm_signup", token=token))


@bp.get("/signup/sent")
def signup_sent():
    email = session.get("signup_email")
    if not email:
        return redirect(url_for(".signup"))
    return render_template("accounts/signup_sent.html", email=email)


@bp.route("/signup/<token>", methods=["GET", "POST"])
def confirm_signup(token: str):
    """Whoever opens the link owns the mailbox: they choose the password, and the account is made."""
    try:
        data = _signup_serializer().loads(token, max_age=SIGNUP_MAX_AGE)
        email, name, next_path = str(data["em"]), str(data["name"]), data.get("next")
    except SignatureExpired:
        flash("That link has expired. Sign up again to get a new one.", "error")
        return redirect(url_for(".signup"))
    except (BadSignature, KeyError, TypeError, ValueError):
        flash("That link is not valid: it is incomplete or from an older mail. Sign up again to get a new one.",
              "error")
        return redirect(url_for(".signup"))
    if current_user.is_authenticated:
        if current_user.email == email:  # opened again, already in
            return redirect(_safe_next(next_path))
        flash(f"This link makes an account for {email}, but you are logged in as {current_user.email}: log out "
              "first, then open it again.", "error")
        return redirect(url_for("home"))
    if _taken(email):
        return _made_already(email, next_path)
    form = SignupFinishForm(data={"name": name})
    if form.validate_on_submit():
        user = User(email=email, name=form.name.data.strip())
        user.set_password(form.password.data)
        db.session.add(user)
        try:
            db.session.commit()
        except IntegrityError:  # the same link, sent twice at once
            db.session.rollback()
            return _made_already(email, next_path)
        login_user(user)
        flash("Welcome! Your account is ready.", "success")
        return redirect(_safe_next(next_path))
    return render_template("accounts/confirm_signup.html", form=form, email=email)


def _made_already(email: str, next_path: str | None):
    flash(f"{email} has an account now: log in with it. Never chose a password (an organiser registered you)? "
          "Use “Forgot your password?”.", "info")
    return redirect(url_for(".login", next=next_path))


_LOGINS_WAIT = _busy_page("accounts/login.html", LoginForm, "Too many failed logins from your network. Forgot "
                         "your password? Reset it with the link below.")


@bp.route("/login", methods=["GET", "POST"])
# Failed logins are counted after the answer, so requests sent at once all pass that check: every login,
# counted before it, caps those.
@limiter.limit(FAILED_LOGINS, methods=["POST"], deduct_when=lambda response: response.status_code != 302,
               on_breach=_LOGINS_WAIT)
@limiter.limit(ANY_LOGINS, methods=["POST"], on_breach=_LOGINS_WAIT)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(db.select(User).filter_by(email=User.normalise_email(form.email.data)))
        if user and user.check_password(form.password.data):
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        if user is None:
            spend_a_password_check(form.password.data)
        form.password.errors.append("Email or password is not right.")
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("home"))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def reset_token(user: User, invitation: bool = False, next_path: str | None = None) -> str:
    # The hash's tail binds the token to the current password: once used, the link stops working. The
    # address binds it to the mailbox it went to: after a change of address, the old one resets nothing.
    # An invitation leads on to what it invites to (the event, the console), not to the home page.
    return _serializer().dumps({"id": user.id, "pw": user.password_stamp(), "em": user.email, "invite": invitation,
                                "next": next_path})


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(MAILS_ASKED, methods=["POST"], deduct_when=_mailed, on_breach=_busy_page(
    "accounts/reset_request.html", ResetRequestForm, "Many resets were asked from your network in the last hour."))
def reset_request():
    """Like sign-up, the same answer for every address: what differs goes to the mailbox."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        email, now = User.normalise_email(form.email.data), now_utc()
        if _claim_address_mail(email, "reset", now) and not mail.try_send(_reset_mail(email)):
            _release_address_mail(email, "reset", now)
            flash("We could not send mail just now. Please try again in a few minutes.", "error")
            return render_template("accounts/reset_request.html", form=form), 503
        flash(f"A mail is on its way to {email}: a link to choose a new password, valid for 2 hours, or, if the "
              "address has no account, how to sign up. At most one such mail goes out every 10 minutes.", "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_request.html", form=form)


def _reset_mail(email: str) -> mail.Mail:
    user = db.session.scalar(db.select(User).filter_by(email=email))
    if user is None:
        return mail.template_mail(email, "No brokerage account with this address", "mail/reset_no_account.txt",
                                  email=email, link=base_url() + url_for("accounts.signup"))
    link = base_url() + url_for("accounts.reset_password", token=reset_token(user))
    return mail.template_mail(email, "Reset your password", "mail/password_reset.txt", user=user, link=link)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        data = _serializer().loads(token, max_age=INVITE_MAX_AGE)
        if not data.get("invite"):
            _serializer().loads(token, max_age=RESET_MAX_AGE)
        user = db.session.get(User, int(data["id"]))
        if user is None or user.password_stamp() != data["pw"] or user.email != data["em"]:
            raise BadSignature("stale")
    except SignatureExpired:
        flash("That reset link has expired. Ask for a new one.", "error")
        return redirect(url_for("accounts.reset_request"))
    except (BadSignature, KeyError, TypeError, ValueError):
        flash("That reset link is not valid (it may have been used already). Ask for a new one.", "error")
        return redirect(url_for("accounts.reset_request"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        user.set_password(form.password.data)
        db.session.commit()
        login_user(user)
        flash("Your password is set: welcome." if data.get("invite") else "Your password is changed.", "success")
        return redirect(_safe_next(data.get("next")))
    return render_template("accounts/reset_password.html", form=form)


# --- the user's own account -----------------------------------------------------------------------------------

def _account_page(status: int = 200, **forms):
    """The account page with its three forms; the one just sent keeps what was typed and its errors."""
    user = current_user
    forms = {"name_form": NameForm(formdata=None, prefix="name", obj=user),
             "email_form": EmailChangeForm(formdata=None, prefix="email"),
             "password_form": PasswordChangeForm(formdata=None, prefix="password"),
             "delete_form": DeleteAccountForm(formdata=None, prefix="delete"), **forms}
    return render_template("accounts/account.html", refusal=personal_data.erase_refusal(user), **forms), status


@bp.get("/")
@login_required
def account():
    return _account_page()


@bp.post("/name")
@login_required
def change_name():
    form = NameForm(prefix="name")
    if not form.validate_on_submit():
        return _account_page(400, name_form=form)
    current_user.name = form.name.data.strip()
    db.session.commit()
    flash("Your name is saved.", "success")
    return redirect(url_for(".account"))


def _validated_with_password(form) -> bool:
    """The form is valid and its current password is the user's (a stolen session alone cannot
    change the password or delete the account)."""
    valid = form.validate_on_submit()
    # Checked even when another field is wrong, so every problem shows at once (not with a forged form).
    if form.is_submitted() and not form.csrf_token.errors and form.current.data and \
            not current_user.check_password(form.current.data):
        form.current.errors = [*form.current.errors, "That is not your current password."]
        return False
    return valid


@bp.post("/password")
@login_required
def change_password():
    form = PasswordChangeForm(prefix="password")
    if not _validated_with_password(form):
        return _account_page(400, password_form=form)
    user = current_user._get_current_object()
    user.set_password(form.password.data)
    db.session.commit()
    login_user(user)  # this session carries the new password's stamp; every other one ends
    flash("Your password is changed. Other browsers where you were logged in are logged out.", "success")
    return redirect(url_for(".account"))


def _email_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="email-change")


def _taken(email: str) -> bool:
    return db.session.scalar(db.select(User.id).filter_by(email=email)) is not None


@bp.post("/email")
@login_required
def change_email():
    """The new address takes effect once its owner opens the link mailed to it (a typo must not lock anyone
    out); the old address is told, in case the session was not the owner's."""
    form = EmailChangeForm(prefix="email")
    if not _validated_with_password(form):
        return _account_page(400, email_form=form)
    user, new, now = current_user._get_current_object(), User.normalise_email(form.email.data), now_utc()
    if new == user.email:
        form.email.errors.append("That is your address already.")
        return _account_page(400, email_form=form)
    if user.email_change_sent_at and now - user.email_change_sent_at < ONE_MAIL_EVERY:
        wait = math.ceil((user.email_change_sent_at + ONE_MAIL_EVERY - now).total_seconds() / 60)
        form.email.errors.append(f"A confirmation link went out a moment ago: use it, or ask again in {wait} "
                                 "minute(s).")
        return _account_page(429, email_form=form)
    # From this address, with this password, for the latest request: the link works once, and a newer
    # request (a typo corrected), a change made or a new password voids it.
    token = _email_serializer().dumps({"id": user.id, "from": user.email, "email": new, "pw": user.password_stamp(),
                                       "at": now.isoformat()})
    if _taken(new):  # told to the new address's owner only: the page answers as for any address
        message = mail.template_mail(new, "Your address was typed for another account", "mail/email_change_taken.txt",
                                     user=user, new=new)
    else:
        message = mail.template_mail(new, "Confirm your new email address", "mail/email_change.txt", user=user,
                                     new=new, link=base_url() + url_for("accounts.confirm_email", token=token))
    if not mail.try_send(message):
        flash("We could not send mail just now. Please try again in a few minutes.", "error")
        return _account_page(503, email_form=form)
    user.email_change_sent_at = now
    db.session.commit()
    mail.try_send(mail.template_mail(user.email, "Your email address is about to change", "mail/email_change_notice.txt",
                                     user=user, new=new))
    flash(f"A confirmation link is on its way to {new}. Your address changes when you open it (within 2 days); "
          "until then, log in with the current one.", "info")
    return redirect(url_for(".account"))


def _refuse_confirmation(message: str):
    flash(message, "error")
    # To a page a logged-out reader can see, without a "please log in" on top of the refusal.
    return redirect(url_for(".account" if current_user.is_authenticated else ".login"))


@bp.route("/email/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    try:
        data = _email_serializer().loads(token, max_age=EMAIL_CHANGE_MAX_AGE)
        user = db.session.get(User, int(data["id"]))
        if (user is None or user.password_stamp() != data["pw"] or user.email != data["from"]
                or user.email_change_sent_at is None or user.email_change_sent_at.isoformat() != data["at"]):
            raise BadSignature("stale")  # used, replaced by a newer request, or the password changed since
        new = str(data["email"])
    except SignatureExpired:
        return _refuse_confirmation("That confirmation link has expired. Ask for the change again on your account "
                                    "page.")
    except (BadSignature, KeyError, TypeError, ValueError):
        return _refuse_confirmation("That confirmation link is not valid (it was used already, a newer change "
                                    "replaced it, or the password changed since). Ask for the change again on your "
                                    "account page.")
    if current_user.is_authenticated and current_user.id != user.id:
        return _refuse_confirmation("This link changes another account's address: log out first, then open it "
                                    "again.")
    if _taken(new):
        return _refuse_confirmation(f"{new} belongs to another account now, so it cannot become yours.")
    form = ConfirmForm()
    if form.validate_on_submit():
        user.email = new
        try:
            db.session.commit()
        except IntegrityError:  # taken a moment ago
            db.session.rollback()
            flash(f"{new} belongs to another account now, so it cannot become yours.", "error")
            return redirect(url_for(".account"))
        flash(f"Your email address is now {new}: log in with it from now on.", "success")
        return redirect(url_for(".account") if current_user.is_authenticated else url_for(".login"))
    return render_template("accounts/confirm_email.html", form=form, user=user, new=new)


@bp.get("/data.json")
@login_required
def download_data():
    body = json.dumps(personal_data.export(current_user), ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": 'attachment; filename="my-brokerage-data.json"',
                             "Cache-Control": "no-store"})


@bp.post("/delete")
@login_required
def delete_account():
    form = DeleteAccountForm(prefix="delete")
    if not _validated_with_password(form):
        return _account_page(400, delete_form=form)
    if personal_data.erase_refusal(current_user):
        return _account_page(409)  # the page says why, where the delete form would be
    called_off = personal_data.erase(current_user._get_current_object())
    logout_user()
    flash("Your account and personal data are deleted." + (
        f" {called_off} meeting(s) were called off and your partners told." if called_off else ""), "success")
    return redirect(url_for("home"))
