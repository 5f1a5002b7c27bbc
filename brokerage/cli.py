"""`flask` commands: the app's own (demo, reminders, organisers) registered in one place."""
from flask import Flask


def init_app(app: Flask) -> None:
    pass
