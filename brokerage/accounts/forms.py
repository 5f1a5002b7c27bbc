from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from brokerage.events.forms import no_control_characters, one_line, strip


def email_field(label: str = "Email"):
    return EmailField(label, filters=[strip], render_kw={"autocomplete": "email"}, validators=[
        DataRequired("Enter your email address."), Email(check_deliverability=False), Length(max=254)])


def new_password_fields(label: str):
    return (PasswordField(label, render_kw={"autocomplete": "new-password"}, validators=[DataRequired("Choose a password."),
                                             Length(min=8, message="Use at least 8 characters."),
                                             Length(max=200, message="Use at most 200 characters.")]),
            PasswordField("Repeat password", render_kw={"autocomplete": "new-password"},
                          validators=[DataRequired("Repeat the password."),
                                                         EqualTo("password", message="The passwords differ.")]))


def name_field():
    return StringField("Your name", filters=[one_line], render_kw={"autocomplete": "name"},
                       validators=[DataRequired("Enter your name."), Length(max=120), no_control_characters])


class SignupForm(FlaskForm):
    name = name_field()
    email = email_field()


class SignupFinishForm(FlaskForm):
    name = name_field()
    password, confirm = new_password_fields("Choose a password")


class LoginForm(FlaskForm):
    email = email_field()
    password = PasswordField("Password", render_kw={"autocomplete": "current-password"},
                             validators=[DataRequired("Enter your password."), Length(max=200)])


class ResetRequestForm(FlaskForm):
    email = email_field()


class ResetPasswordForm(FlaskForm):
    password, confirm = new_password_fields("New password")


def current_password_field():
    return PasswordField("Current password", render_kw={"autocomplete": "current-password"},
                         validators=[DataRequired("Enter your current password."), Length(max=200)])


class NameForm(FlaskForm):
    name = name_field()


class PasswordChangeForm(FlaskForm):
    current = current_password_field()
    password, confirm = new_password_fields("New password")


class DeleteAccountForm(FlaskForm):
    current = current_password_field()
    understood = BooleanField("I understand: my profiles, opportunities and availability are erased, meetings not "
                              "yet held are called off, and this cannot be undone.",
                              validators=[DataRequired("Tick the box to confirm.")])


class EmailChangeForm(FlaskForm):
    email = email_field("New email address")
    current = current_password_field()


class ConfirmForm(FlaskForm):
    """A button: a link opened by a mail scanner must not change anything."""
