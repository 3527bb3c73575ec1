"""StoredFileOutputSerializer: the file metadata shape every API returns."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from chat.models import ChatSession
from files.api.serializers import StoredFileOutputSerializer
from files.models import StoredFile

pytestmark = pytest.mark.django_db


def _row(owner: Any, number: int, **values: Any) -> StoredFile:
    name = values.pop("filename", f"file_{number}.txt")
    return StoredFile.objects.create(
        owner=owner, key=f"users/{owner.email}/uploads/x_{number}_{name}", filename=name, **values
    )


@pytest.fixture
def varied_files(user) -> list[StoredFile]:
    session = ChatSession.objects.create(owner=user, title="a chat")
    return [
        _row(user, 1),
        _row(
            user,
            2,
            filename="chart.png",
            content_type="image/png",
            size=2**40,
            category="image",
            source="tool",
            source_tool="make_chart",
            tags={"project": "élan", "empty": ""},
            tagged=True,
            session_id=session.id,
            etag="abc-2",
            checksum="0" * 64,
        ),
        _row(
            user,
            3,
            filename="data.csv",
            category="data",
            status="broken",
            status_detail="blob missing (files_reconcile, 2026-11-24)",
        ),
        _row(user, 4, filename="名前 with spaces.md", category="document", size=0),
    ]


def test_a_file_is_represented_field_by_field(varied_files) -> None:
    file = varied_files[2]
    assert StoredFileOutputSerializer(file).data == {
        "id": str(file.pk),
        "key": file.key,
        "filename": "data.csv",
        "size": 0,
        "content_type": file.content_type,
        "category": "data",
        "source": "user",
        "source_tool": "",
        "tags": {},
        "tagged": False,
        "session": None,
        "created_at": file.created_at.isoformat().replace("+00:00", "Z"),
        "last_modified": file.created_at.isoformat().replace("+00:00", "Z"),
        "etag": "",
        "checksum": "",
        "user_email": file.owner.email,
        "download_url": f"/api/files/{file.pk}/download",
        "status": "broken",
        "status_detail": "blob missing (files_reconcile, 2026-11-24)",
        "text_status": "none",
        "pages": None,
        "words": None,
        "text_error": "",
        "version": 1,
        "trashed_at": None,
    }


def test_a_page_keeps_its_order(varied_files) -> None:
    page = list(StoredFile.objects.order_by("filename"))
    listed = StoredFileOutputSerializer(page, many=True).data
    assert [row["id"] for row in listed] == [str(file.pk) for file in page]
    assert [row["filename"] for row in listed] == sorted(f.filename for f in varied_files)


def test_dates_follow_the_active_time_zone(varied_files) -> None:
    file = varied_files[0]
    file.created_at = dt.datetime(2026, 11, 24, 23, 30, 5, 123456, tzinfo=dt.UTC)
    with override_settings(TIME_ZONE="Europe/Paris"), timezone.override("Europe/Paris"):
        ours = StoredFileOutputSerializer(file).data
    assert ours["created_at"] == "2026-11-25T00:30:05.123456+01:00"
    utc = StoredFileOutputSerializer(file).data
    assert utc["created_at"] == utc["last_modified"] == "2026-11-24T23:30:05.123456Z"


def test_the_fields_a_client_reads_have_their_json_types(varied_files) -> None:
    data = StoredFileOutputSerializer(varied_files[1]).data
    assert data["size"] == 2**40 and isinstance(data["size"], int)
    assert data["session"] == str(varied_files[1].session_id)
    assert data["tags"] == {"project": "élan", "empty": ""}
    assert data["tagged"] is True
    assert data["user_email"] == varied_files[1].owner.email
    assert data["download_url"] == f"/api/files/{varied_files[1].pk}/download"
    assert StoredFileOutputSerializer(varied_files[0]).data["session"] is None
