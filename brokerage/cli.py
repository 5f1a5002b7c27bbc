"""`flask` commands of the app, registered in one place."""
from flask import Flask


def init_app(app: Flask) -> None:
    from brokerage.demo import demo_command
    from brokerage.scheduling.reminders import reminders_command

    app.cli.add_command(demo_command)
    app.cli.add_command(reminders_command)
