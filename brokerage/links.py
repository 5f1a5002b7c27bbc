"""Absolute links for mails and calendar apps, which open them outside the browser session."""
from flask import current_app, has_request_context, request, url_for

FALLBACK_BASE = "http://127.0.0.1:5000"


def base_url() -> str:
    """BASE_URL when configured; else the address this request came to (so a dev server on any port links right)."""
    configured = current_app.config.get("BASE_URL")
    if configured:
        return configured.rstrip("/")
    return request.host_url.rstrip("/") if has_request_context() else FALLBACK_BASE


def external_url(endpoint: str, **values) -> str:
    """Works from `flask` commands too, where there is no request to take the host from."""
    base = base_url()
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)
