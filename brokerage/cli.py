"""`flask` commands of the app, registered in one place."""
import click
from flask import Flask


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
