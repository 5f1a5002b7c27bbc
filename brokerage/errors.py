"""Friendly error pages: a user never sees a traceback."""
from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException, SecurityError

from brokerage.extensions import db


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("error.html", code=400,
                               message="The form expired or was not sent from this site. Go back, reload and submit again."), 400

    @app.errorhandler(SecurityError)
    def untrusted_host(error: SecurityError):
        # A Host header the site does not answer to: no page may be built on it (links in mails would
        # point there), and the usual template cannot even build its own links.
        message = ("This site does not answer at this address. If you run it, set BASE_URL to its "
                   "public address (or add the name to TRUSTED_HOSTS).")
        return (f"<!doctype html><title>Bad request</title><h1>Bad request</h1><p>{escape(message)}</p>",
                400, {"Content-Type": "text/html; charset=utf-8"})

    @app.errorhandler(413)
    def too_large(error):
        return render_template("error.html", code=413, message=(
            "That is more data than one form takes (a CSV import takes up to 1 MB). Go back and send less, "
            "for example a CSV split into several imports.")), 413

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.response is not None:  # a page of its own (a form shown again over a request limit)
            return error.response
        return render_template("error.html", code=error.code, message=error.description), error.code

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error")
        return render_template("error.html", code=500,
                               message="Something went wrong on our side. Nothing you typed was saved; please try again."), 500
