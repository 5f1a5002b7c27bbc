"""Helpers for the access tests (a unique module name: tests/access is on sys.path while they run)."""
from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit


def diff(before: dict, after: dict) -> str:
    changed = []
    for table in before:
        if before[table] != after.get(table):
            gone = set(before[table]) - set(after[table])
            new = set(after[table]) - set(before[table])
            changed.append(f"{table}: -{sorted(gone)[:2]} +{sorted(new)[:2]}")
    return "; ".join(changed)


class FormHarvester(HTMLParser):
    """Collect each form's action and the values a browser would submit."""

    def __init__(self, page_url: str):
        super().__init__()
        self.page_url = page_url
        self.forms: list[tuple[str, str, dict]] = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            action = urljoin(self.page_url, a.get("action") or self.page_url)
            self._form = (urlsplit(action).path, (a.get("method") or "get").lower(), {})
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind in ("file", "submit", "button", "image", "reset"):
                return
            self._form[2].setdefault(a["name"], a.get("value") or "")
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
        elif tag == "option" and self._select:
            data = self._form[2]
            if self._select not in data or "selected" in a:
                if a.get("value") or self._select not in data:
                    data[self._select] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._form[2][a["name"]] = ""
        elif tag == "button" and a.get("name") and a.get("value"):
            self._form[2].setdefault(a["name"], a["value"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form[2][self._textarea] += data


def harvest_forms(html: str, page_url: str) -> list[tuple[str, str, dict]]:
    parser = FormHarvester(page_url)
    parser.feed(html)
    return parser.forms
