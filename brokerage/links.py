"""Absolute links for mails and calendar apps, which open them outside the browser session."""
from urllib.parse import urlsplit

from flask import current_app, g, has_request_context, request

FALLBACK_BASE = "http://127.0.0.1:5000"


def base_url() -> str:
    """BASE_URL when configured; else the address the organiser's request came to (carried into
    background jobs as g.base_url), so a dev server on any port links right."""
    configured = current_app.config.get("BASE_URL")
    if configured:
        return configured.rstrip("/")
    if g.get("base_url"):
        return g.base_url.rstrip("/")
    return request.host_url.rstrip("/") if has_request_context() else FALLBACK_BASE


def external_url(endpoint: str, **values) -> str:
    """Works from `flask` commands and background jobs too: built from the URL map and base_url(),
    with no request (whose host a worker might not serve)."""
    base = urlsplit(base_url())
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)
