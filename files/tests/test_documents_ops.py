"""files_index, the admin's text column, filter and re-index action, and the queue depth
on /admin/storage/."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from files.documents.ops import documents_queue_depth
from files.models import StoredFile
from files.services import file_upload

from . import documents_factory as docs
from .test_documents import found_pages, run_worker

pytestmark = pytest.mark.django_db(transaction=True)
CHANGELIST = "/admin/files/storedfile/"


def never_indexed(owner: Any, filename: str, content: bytes) -> StoredFile:
    """A file as uploaded before the document index existed: status none, no job."""
    file = file_upload(owner=owner, content=content, filename=filename)
    StoredFile.objects.filter(pk=file.pk).update(text_status="none")
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()
    return file


def test_files_index_backfills_with_progress(s3_backend: Any, user: Any, other_user: Any) -> None:
    never_indexed(user, "old.txt", b"backfillword one")
    never_indexed(other_user, "theirs.txt", b"backfillword two")
    out, err = io.StringIO(), io.StringIO()
    call_command("files_index", user=user.email, now=True, stdout=out, stderr=err)
    assert "1 file(s) indexed: 1 ready." in out.getvalue()
    assert found_pages(user, "backfillword") == [("old.txt", 1)]
    assert StoredFile.objects.get(filename="theirs.txt").text_status == "none"
    from django_tasks_db.models import DBTaskResult

    assert not DBTaskResult.objects.exists()  # extracted here: nothing left for a worker


def test_files_index_queues_for_the_worker_and_failed_retries(s3_backend: Any, user: Any) -> None:
    file = file_upload(owner=user, content=b"%PDF-1.4 broken", filename="bad.pdf")
    run_worker()
    file.refresh_from_db()
    assert file.text_status == "failed"
    out = io.StringIO()
    call_command("files_index", stdout=out)  # only never-indexed files: none
    assert "0 file(s) queued" in out.getvalue()
    call_command("files_index", failed=True, stdout=out)
    assert "1 file(s) queued for the worker." in out.getvalue()
    assert StoredFile.objects.get(pk=file.pk).text_status == "processing"
    run_worker()
    assert StoredFile.objects.get(pk=file.pk).text_error == "corrupt"


def test_files_index_rebuild_and_unknown_user(s3_backend: Any, user: Any) -> None:
    file_upload(owner=user, content=b"rebuildword", filename="r.txt")
    run_worker()
    out = io.StringIO()
    call_command("files_index", rebuild=True, now=True, stdout=out)
    assert "1 file(s) indexed: 1 ready." in out.getvalue()
    assert found_pages(user, "rebuildword") == [("r.txt", 1)]
    with pytest.raises(Exception, match="No user"):
        call_command("files_index", user="nobody@example.com")


@pytest.fixture
def staff_client(make_user: Any) -> Client:
    client = Client()
    client.force_login(make_user("root@example.com", is_staff=True, is_superuser=True))
    return client


def test_admin_shows_status_filters_and_reindexes(
    s3_backend: Any, user: Any, staff_client: Client
) -> None:
    broken = file_upload(owner=user, content=docs.encrypted_pdf("x"), filename="locked.pdf")
    file_upload(owner=user, content=b"fine", filename="ok.txt")
    run_worker()
    failed_page = staff_client.get(CHANGELIST, {"text_status__exact": "failed"}).content.decode()
    assert "locked.pdf" in failed_page and "ok.txt" not in failed_page
    by_reason = staff_client.get(CHANGELIST, {"text_error": "encrypted"}).content.decode()
    assert "locked.pdf" in by_reason
    change = staff_client.get(f"{CHANGELIST}{broken.pk}/change/").content.decode()
    assert "password-protected" in change
    response = staff_client.post(
        CHANGELIST, {"action": "reindex_text", "_selected_action": [str(broken.pk)]}
    )
    assert response.status_code == 302
    assert StoredFile.objects.get(pk=broken.pk).text_status == "processing"
    assert documents_queue_depth()["tasks"]["waiting"] == 1


def test_storage_overview_shows_the_queue_depth(
    s3_backend: Any, user: Any, staff_client: Client
) -> None:
    file_upload(owner=user, content=b"a", filename="a.txt")
    file_upload(owner=user, content=b"b", filename="b.txt")
    page = staff_client.get("/admin/storage/").content.decode()
    assert '<td id="queue-waiting">2</td>' in page
    run_worker()
    page = staff_client.get("/admin/storage/").content.decode()
    assert '<td id="queue-waiting">0</td>' in page
    assert documents_queue_depth()["files"]["ready"] == 2
