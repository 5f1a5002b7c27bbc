"""`flask` commands: the app's own (demo, reminders, organisers) registered in one place."""
from flask import Flask


def init_app(app: Flask) -> None:
    from brokerage.demo import demo_command; app.cli.add_command(demo_command)  # noqa: E702
    from brokerage.scheduling.reminders import reminders_command; app.cli.add_command(reminders_command)  # noqa: E702
    pass
