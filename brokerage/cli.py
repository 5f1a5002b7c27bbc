"""`flask` commands of the app, registered in one place."""
import sys

import click
from flask import Flask
from flask.cli import with_appcontext


class _OneLineUsageError(click.UsageError):
    def show(self, file=None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


class OneLineCommand(click.Command):
    """A wrong option is one line naming it (exit 2), not Click's usage block; --help still shows usage."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            raise _OneLineUsageError(error.format_message(), ctx) from None


def init_app(app: Flask) -> None:
    from brokerage.demo import demo_command
    from brokerage.scheduling.reminders import reminders_command

    app.cli.add_command(demo_command)
    app.cli.add_command(reminders_command)
    app.cli.add_command(allow_organising_command)


@click.command("allow-organising", cls=OneLineCommand)
@click.argument("emails", nargs=-1, required=True)
@click.option("--revoke", is_flag=True, help="Take the right away (events they organise stay theirs).")
@with_appcontext
def allow_organising_command(emails: tuple[str, ...], revoke: bool) -> None:
    """Let these accounts create events; site administrators always can."""
    from brokerage.accounts.models import User
    from brokerage.extensions import db

    users = []
    for email in emails:
        user = db.session.scalar(db.select(User).filter_by(email=User.normalise_email(email)))
        if user is None:
            click.echo(f"Error: no account uses {email}: they sign up first.", err=True)
            sys.exit(2)
        users.append(user)
    for user in users:
        user.may_create_events = not revoke
    db.session.commit()
    click.echo(f"{len(users)} account(s) {'may no longer' if revoke else 'may now'} create events."
               + (" Site administrators among them still can." if revoke and any(u.is_admin for u in users) else ""))
