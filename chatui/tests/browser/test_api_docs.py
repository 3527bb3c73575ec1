"""Swagger UI at /api/docs/ in a real browser, under the site's CSP.

Run: ``.venv/bin/pytest -m browser chatui/tests/browser/test_api_docs.py``. The
``make_session`` fixture fails the test on any console error or CSP violation.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from chatui.middleware import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.browser


def test_api_docs_render_the_operations_under_the_csp(make_session: Any) -> None:
    session = make_session(signed_in=False)  # the docs are public
    page = session.page

    response = page.goto("/api/docs/")

    assert response is not None and response.status == 200
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    html = response.text()
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert " src=" in tag, f"inline script: {tag}"
    assert not re.search(r"<style\b", html), "inline <style>"
    assert not re.search(r"\sstyle=", html), "inline style attribute"
    operation = page.locator(".opblock-summary-path[data-path='/api/files']").first
    expect(operation).to_be_visible()
    expect(page.locator(".opblock")).not_to_have_count(0)
    # Expanding an operation renders its parameters and responses (more React, more styles).
    operation.click()
    expect(page.locator(".opblock.is-open .responses-wrapper").first).to_be_visible()
    # "Try it out" on a public endpoint: the request and the highlighted response body.
    health = page.locator(".opblock", has=page.locator("[data-path='/api/health']")).first
    health.locator(".opblock-summary").click()
    health.get_by_role("button", name="Try it out").click()
    health.get_by_role("button", name="Execute").click()
    expect(health.locator(".live-responses-table tbody .response-col_status").first).to_have_text(
        "200"
    )
