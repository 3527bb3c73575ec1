"""ToolRun in the admin: listed with its filters, and read-only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tools.models import ToolRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(make_user: Any) -> Client:
    client = Client()
    client.force_login(make_user("root@example.com", is_staff=True, is_superuser=True))
    return client


def test_changelist_lists_runs_and_filters_by_tool_and_status(
    admin_client_: Client, user: Any
) -> None:
    ToolRun.objects.create(user=user, tool_name="plot_csv", status="success", duration_ms=12)
    ToolRun.objects.create(
        user=user, tool_name="zip_files", status="timeout", error_code="tool_timeout"
    )
    response = admin_client_.get("/admin/tools/toolrun/", {"status__exact": "timeout"})
    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert [r.tool_name for r in rows] == ["zip_files"]
    filters = {spec.title for spec in response.context["cl"].filter_specs}
    assert filters == {"tool name", "status"}


def test_runs_cannot_be_added_or_changed(admin_client_: Client, user: Any) -> None:
    run = ToolRun.objects.create(user=user, tool_name="plot_csv", status="success")
    assert admin_client_.get("/admin/tools/toolrun/add/").status_code == 403
    page = admin_client_.get(f"/admin/tools/toolrun/{run.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
    response = admin_client_.post(f"/admin/tools/toolrun/{run.pk}/change/", {"tool_name": "x"})
    assert response.status_code == 403
    run.refresh_from_db()
    assert run.tool_name == "plot_csv"
