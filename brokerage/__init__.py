"""Brokerage events: virtual B2B matchmaking with timetables that respect every participant's clock."""
from __future__ import annotations

import sys
from pathlib import Path

from flask import Flask, abort
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from brokerage import config as config_module
from brokerage.extensions import csrf, db, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent

# Each domain contributes a blueprint named `bp` in its views module.
BLUEPRINTS = (
    "brokerage.accounts.views",
    "brokerage.events.views",
    "brokerage.marketplace.views",
    "brokerage.meetings.views",
    "brokerage.organiser.views",
    "brokerage.scheduling.views",
    "brokerage.reports.views",
    "brokerage.outcomes.views",
)


class DatabaseId(IntegerConverter):
    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True,
                template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(config_module.from_environment(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    try:
        config_module.check_secret_key(app.config)
    except config_module.ConfigError as error:
        print(f"brokerage: configuration: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    if app.config.get("TRUSTED_HOSTS") is None:
        app.config["TRUSTED_HOSTS"] = config_module.trusted_hosts(app.config.get("BASE_URL"))

    # Ids past the database's integer range are simply not found, instead of overflowing the driver.
    app.url_map.converters["int"] = DatabaseId
    db.init_app(app)
    from brokerage.models import include_in_autogenerate
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), include_object=include_in_autogenerate)
    csrf.init_app(app)
    login_manager.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", config_module.limits_storage(app.config.get("REDIS_URL")))
    limiter.init_app(app)
    if app.config.get("PROXIES"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXIES"])

    from brokerage import access, models  # noqa: F401  (models: the whole schema; access: the user loader)
    from brokerage import templating, cli, errors
    import importlib

    for module in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(module).bp)
    templating.init_app(app)
    errors.init_app(app)
    cli.init_app(app)

    @app.url_value_preprocessor
    def refuse_nul_in_urls(endpoint, values):
        # PostgreSQL refuses NUL in text; no slug or token contains one, so such a URL names nothing.
        if values and any(isinstance(v, str) and "\x00" in v for v in values.values()):
            abort(404)

    @app.after_request
    def refuse_framing(response):
        # No page is meant to sit in another site's frame, where a hidden button (Publish, Leave) could be clicked.
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    @app.get("/")
    def home():
        from brokerage.events.views import home_page
        return home_page()

    return app
