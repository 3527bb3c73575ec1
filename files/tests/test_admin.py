"""The file admin, the user admin's storage columns and the storage overview page."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone
from PIL import Image

from chatui.models import User
from files import storage
from files.models import ReconcileRun, StoredFile

pytestmark = pytest.mark.django_db
MB = 1024 * 1024
CHANGELIST = "/admin/files/storedfile/"
on_s3mock = pytest.mark.parametrize("s3_backend", ["s3mock"], indirect=True)


@pytest.fixture
def admin_client_(make_user: Callable[..., Any]) -> Client:
    client = Client()
    client.force_login(make_user("root@example.com", is_staff=True, is_superuser=True))
    return client


def _staff_client(make_user: Callable[..., Any], *codenames: str) -> Client:
    staff = make_user("clerk@example.com", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(staff)
    return client


def _rows(owner: User, count: int, **fields: Any) -> list[StoredFile]:
    """Rows without blobs, fast: for what the admin lists (it never reads blobs)."""
    stem = fields.pop("stem", "file")
    return StoredFile.objects.bulk_create(
        StoredFile(
            owner=owner,
            key=f"users/{owner.email}/uploads/{stem}_{index:06d}.txt",
            filename=f"{stem}_{index}.txt",
            size=fields.get("size", index),
            **{k: v for k, v in fields.items() if k != "size"},
        )
        for index in range(count)
    )


def _listed(response: Any) -> list[StoredFile]:
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, format="PNG")
    return out.getvalue()


# --- The StoredFile changelist ---------------------------------------------------------


def test_changelist_of_10000_files_takes_a_bounded_number_of_queries(
    admin_client_: Client, user: Any, other_user: Any, django_assert_max_num_queries: Any
) -> None:
    _rows(user, 5000, stem="a")
    _rows(other_user, 5000, stem="b")
    with django_assert_max_num_queries(12):
        response = admin_client_.get(CHANGELIST)
    assert response.context["cl"].result_count == 10000
    assert len(_listed(response)) == 100
    html = response.content.decode()
    for column in ("owner", "filename", "size", "category", "source", "tool", "session", "created"):
        assert f"column-{column}" in html or f">{column.capitalize()}<" in html or column in html
    assert "owner_email" in html  # the owner filter is a text box, not 10,000 links
    assert html.count("?owner__id__exact=") == 0


def test_filters_by_size_band(admin_client_: Client, user: Any) -> None:
    sizes = {"tiny": 10, "small": 2 * MB, "medium": 50 * MB, "large": 200 * MB, "edge": MB}
    for name, size in sizes.items():
        _rows(user, 1, stem=name, size=size)
    expected = {"lt1": {"tiny"}, "1to10": {"small", "edge"}, "10to100": {"medium"}}
    expected["gt100"] = {"large"}
    for band, stems in expected.items():
        listed = _listed(admin_client_.get(CHANGELIST, {"size_band": band}))
        assert {f.filename.split("_")[0] for f in listed} == stems, band


def test_filters_by_source_category_owner_and_date(
    admin_client_: Client, user: Any, other_user: Any
) -> None:
    _rows(user, 2, stem="mine")
    _rows(user, 1, stem="plot", source="tool", source_tool="plot_csv", category="image")
    _rows(other_user, 3, stem="bobs")
    old = _rows(other_user, 1, stem="old")[0]
    StoredFile.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))

    def stems(**params: str) -> set[str]:
        return {f.filename.split("_")[0] for f in _listed(admin_client_.get(CHANGELIST, params))}

    assert stems(source__exact="tool") == {"plot"}
    assert stems(category__exact="image") == {"plot"}
    assert stems(owner_email="bob@example.com") == {"bobs", "old"}
    assert stems(owner_email="ALICE") == {"mine", "plot"}
    since = str(timezone.now().replace(microsecond=0) - timedelta(days=7))  # as the admin's links
    assert stems(owner_email="bob@example.com", created_at__gte=since) == {"bobs"}


def test_the_owner_filter_keeps_the_other_parameters(admin_client_: Client, user: Any) -> None:
    _rows(user, 1)
    html = admin_client_.get(CHANGELIST, {"source__exact": "user", "q": "file"}).content.decode()
    form = html[html.index('name="owner_email"') - 800 :]
    assert 'name="source__exact" value="user"' in form and 'name="q" value="file"' in form


def test_search_by_filename_key_and_owner_email(
    admin_client_: Client, user: Any, other_user: Any
) -> None:
    _rows(user, 2, stem="report")
    _rows(other_user, 2, stem="budget")
    assert len(_listed(admin_client_.get(CHANGELIST, {"q": "budget_1"}))) == 1
    assert len(_listed(admin_client_.get(CHANGELIST, {"q": "report_000001.txt"}))) == 1  # key
    assert len(_listed(admin_client_.get(CHANGELIST, {"q": "bob@example"}))) == 2


# --- The change page ------------------------------------------------------------------


@on_s3mock
def test_change_page_has_download_and_thumbnail_for_raster_images_only(
    s3_backend: Any, admin_client_: Client, make_stored_file: Callable[..., Any]
) -> None:
    png = make_stored_file(content=_png(), filename="dot.png")
    svg = make_stored_file(
        content=b'<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>',
        filename="evil.svg",
    )
    page = admin_client_.get(f"{CHANGELIST}{png.pk}/change/").content.decode()
    download = f"{CHANGELIST}{png.pk}/download/"
    assert f'href="{download}"' in page and f'<img src="{download}?inline=1"' in page
    assert f"/api/files/{png.pk}/download" in page
    assert re.search(r'name="key"|<div class="readonly">users/alice', page)
    assert 'name="checksum"' not in page and 'name="key"' not in page  # read-only
    page = admin_client_.get(f"{CHANGELIST}{svg.pk}/change/").content.decode()
    assert "<img src=" not in page
    # the blob itself, inline only where that is safe
    response = admin_client_.get(download, {"inline": "1"})
    assert b"".join(response.streaming_content) == _png()
    assert response["Content-Disposition"].startswith("inline")
    response = admin_client_.get(f"{CHANGELIST}{svg.pk}/download/", {"inline": "1"})
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    # the same headers as the owner's download (one helper builds both)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["ETag"] == f'"{svg.etag}"'
    # (the admin's never_cache adds no-store to the helper's value)
    assert response["Cache-Control"].startswith("private, no-cache")
    assert response["Content-Length"] == str(svg.size)


# --- Actions ---------------------------------------------------------------------------


def _act(client: Client, action: str, files: list[StoredFile]) -> Any:
    data = {"action": action, "_selected_action": [str(f.pk) for f in files]}
    if action == "delete_selected":
        data["post"] = "yes"
    return client.post(CHANGELIST, data, follow=True)


def _messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@on_s3mock
def test_verify_action_reports_each_file(
    s3_backend: Any, admin_client_: Client, make_stored_file: Callable[..., Any]
) -> None:
    good = make_stored_file(content=b"fine\n", filename="good.txt")
    missing = make_stored_file(content=b"gone\n", filename="missing.txt")
    altered = make_stored_file(content=b"abcd\n", filename="altered.txt")
    storage.delete(missing.key)
    storage.delete(altered.key)
    storage.put_bytes(altered.key, b"ABCD\n", content_type="text/plain")
    notes = _messages(_act(admin_client_, "verify_files", [good, missing, altered]))
    assert any("good.txt" in n and "match" in n for n in notes)
    assert any("missing.txt" in n and "missing" in n for n in notes)
    assert any("altered.txt" in n and "sha256" in n for n in notes)
    assert "3 files verified: 1 ok, 2 with problems." in notes


@on_s3mock
def test_resniff_action_fixes_the_content_type(
    s3_backend: Any, admin_client_: Client, make_stored_file: Callable[..., Any]
) -> None:
    file = make_stored_file(content=_png(), filename="picture")
    StoredFile.objects.filter(pk=file.pk).update(content_type="text/plain", category="document")
    notes = _messages(_act(admin_client_, "resniff_content_type", [file]))
    file.refresh_from_db()
    assert (file.content_type, file.category) == ("image/png", "image")
    assert any("text/plain, document -> image/png, image" in n for n in notes)


@on_s3mock
def test_delete_action_removes_blobs_too(
    s3_backend: Any, admin_client_: Client, make_stored_file: Callable[..., Any]
) -> None:
    files = [make_stored_file(filename=f"f{i}.txt") for i in range(3)]
    _act(admin_client_, "delete_selected", files[:2])
    assert list(StoredFile.objects.all()) == [files[2]]
    assert storage.list_keys("users/") == [files[2].key]


@on_s3mock
def test_versions_inline_download_and_trash_actions(
    s3_backend: Any, admin_client_: Client, make_stored_file: Callable[..., Any]
) -> None:
    from files.versions import version_upload

    file = make_stored_file(content=b"one\n", filename="v.txt")
    version_upload(file=file, content=b"two\n")
    page = admin_client_.get(f"{CHANGELIST}{file.pk}/change/").content.decode()
    download = f"{CHANGELIST}{file.pk}/download/"
    assert f'href="{download}?version=1"' in page and f'href="{download}?version=2"' in page
    assert b"".join(admin_client_.get(download, {"version": "1"}).streaming_content) == b"one\n"
    assert admin_client_.get(download, {"version": "7"}).status_code == 404
    assert admin_client_.get(download, {"version": "x"}).status_code == 404

    notes = _messages(_act(admin_client_, "move_to_trash", [file]))
    assert "Moved 1 file(s) to the trash." in notes
    listed = admin_client_.get(CHANGELIST, {"trash": "in"}).content.decode()
    assert "v.txt" in listed
    notes = _messages(_act(admin_client_, "restore_from_trash", [file]))
    assert "Restored 1 file(s) from the trash." in notes
    file.refresh_from_db()
    assert file.trashed_at is None and file.version == 2


@on_s3mock
def test_restoring_a_version_in_the_admin_copies_it_into_a_new_version(
    s3_backend: Any, admin_client_: Client, api_client: Any, make_stored_file: Callable[..., Any]
) -> None:
    from files.services import file_read_bytes
    from files.versions import version_upload

    # given a file at v2
    file = make_stored_file(content=b"one\n", filename="v.txt")
    version_upload(file=file, content=b"two\n")
    change = f"{CHANGELIST}{file.pk}/change/"
    restore = f"{CHANGELIST}{file.pk}/versions/1/restore/"
    page = admin_client_.get(change).content.decode()
    assert f'href="{restore}"' in page and "/versions/2/restore/" not in page  # v2 is current

    # when staff open the confirmation, then confirm
    confirm = admin_client_.get(restore)
    file.refresh_from_db()
    assert confirm.status_code == 200 and file.version == 2  # a GET changes nothing
    assert "restore v1 as v3" in confirm.content.decode()
    response = admin_client_.post(restore)

    # then v1's bytes are v3, recorded as the API's restore records it, history kept
    assert (response.status_code, response["Location"]) == (302, change)
    file.refresh_from_db()
    assert file.version == 3 and file_read_bytes(file=file) == b"one\n"
    history = api_client.get(f"/api/files/{file.pk}/versions").json()
    assert [(v["version"], v["source"], v["restored_from"]) for v in history] == [
        (3, "restore", 1),
        (2, "upload", None),
        (1, "upload", None),
    ]
    assert len(s3_backend.list_keys()) == 3
    assert "Restored v1 of v.txt as v3." in _messages(admin_client_.get(change))
    assert admin_client_.get(f"{CHANGELIST}{file.pk}/versions/9/restore/").status_code == 404


@on_s3mock
def test_a_version_of_a_trashed_file_is_not_restored_until_the_file_is(
    s3_backend: Any, admin_client_: Client, make_stored_file: Callable[..., Any]
) -> None:
    from files.trash import file_trash
    from files.versions import version_upload

    file = make_stored_file(content=b"one\n", filename="v.txt")
    file_trash(file=version_upload(file=file, content=b"two\n"))
    response = admin_client_.post(f"{CHANGELIST}{file.pk}/versions/1/restore/", follow=True)
    assert "The file is in the trash: restore it first." in _messages(response)
    file.refresh_from_db()
    assert file.version == 2 and len(s3_backend.list_keys()) == 2


# --- Who may do what -------------------------------------------------------------------


@on_s3mock
def test_staff_without_delete_permission_cannot_delete(
    s3_backend: Any, make_user: Callable[..., Any], stored_file: StoredFile
) -> None:
    client = _staff_client(make_user, "view_storedfile", "change_storedfile")
    page = client.get(CHANGELIST)
    assert page.status_code == 200 and "delete_selected" not in page.content.decode()
    assert "verify_files" in page.content.decode()
    _act(client, "delete_selected", [stored_file])
    assert client.post(f"{CHANGELIST}{stored_file.pk}/delete/", {"post": "yes"}).status_code == 403
    assert StoredFile.objects.filter(pk=stored_file.pk).exists()
    assert storage.exists(stored_file.key)


@on_s3mock
def test_view_only_staff_cannot_restore_a_version(
    s3_backend: Any, make_user: Callable[..., Any], make_stored_file: Callable[..., Any]
) -> None:
    from files.versions import version_upload

    file = version_upload(file=make_stored_file(content=b"one\n"), content=b"two\n")
    client = _staff_client(make_user, "view_storedfile", "view_fileversion")
    page = client.get(f"{CHANGELIST}{file.pk}/change/").content.decode()
    assert "/download/?version=1" in page and "/versions/1/restore/" not in page
    assert client.post(f"{CHANGELIST}{file.pk}/versions/1/restore/").status_code == 403
    file.refresh_from_db()
    assert file.version == 2 and len(s3_backend.list_keys()) == 2


def test_view_only_staff_cannot_resniff(make_user: Callable[..., Any], user: Any) -> None:
    _rows(user, 1)
    client = _staff_client(make_user, "view_storedfile")
    html = client.get(CHANGELIST).content.decode()
    assert "verify_files" in html and "resniff_content_type" not in html


@pytest.mark.parametrize(
    "url", [CHANGELIST, "/admin/storage/", "/admin/chatui/user/", f"{CHANGELIST}x/download/"]
)
def test_non_staff_are_sent_to_the_admin_login(user: Any, url: str) -> None:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/admin/login/")


def test_staff_without_file_permission_cannot_see_the_overview(
    make_user: Callable[..., Any],
) -> None:
    client = _staff_client(make_user)
    assert client.get("/admin/storage/").status_code == 403
    assert "Storage overview" not in client.get("/admin/").content.decode()


# --- Users -----------------------------------------------------------------------------


def test_user_changelist_shows_totals_without_a_query_per_row(
    admin_client_: Client,
    make_user: Callable[..., Any],
    django_assert_max_num_queries: Any,
    settings: Any,
) -> None:
    settings.FILES_USER_QUOTA_MB = 100
    heavy = make_user("heavy@example.com", storage_quota_mb=10)
    _rows(heavy, 30, size=MB // 4)
    _rows(make_user("tool@example.com"), 2, source="tool", source_tool="x", size=10)
    User.objects.bulk_create(User(email=f"u{index}@example.com") for index in range(40))
    with django_assert_max_num_queries(10):
        response = admin_client_.get("/admin/chatui/user/", {"o": "-5"})  # by files, desc
    users = list(response.context["cl"].result_list)
    assert users[0] == heavy and (users[0].file_count, users[0].bytes_stored) == (30, 30 * MB // 4)
    html = response.content.decode()
    assert "75% of 10.0\xa0MB (override)" in html and "0% of 100.0\xa0MB (default)" in html


def test_user_page_lists_the_largest_files_and_saves_the_quota(
    admin_client_: Client, user: Any
) -> None:
    _rows(user, 30)  # sizes 0..29
    page = admin_client_.get(f"/admin/chatui/user/{user.pk}/change/")
    inline = page.context["inline_admin_formsets"][0]
    assert [form.original.size for form in inline] == list(range(29, 9, -1))
    data = {
        "email": user.email,
        "name": "Alice",
        "storage_quota_mb": "5",
        "is_active": "on",
        "date_joined_0": "2024-01-01",
        "date_joined_1": "00:00:00",
        **_management_form(page, "stored_files"),
    }
    response = admin_client_.post(f"/admin/chatui/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    user.refresh_from_db()
    assert user.storage_quota_mb == 5 and StoredFile.objects.filter(owner=user).count() == 30


def _management_form(page: Any, prefix: str) -> dict[str, str]:
    html = page.content.decode()
    fields = re.findall(rf'name="({prefix}-[^"]+)" value="([^"]*)"', html)
    return dict(fields)


# --- The storage overview page -----------------------------------------------------------


def test_storage_overview(admin_client_: Client, user: Any, other_user: Any) -> None:
    _rows(user, 3, size=MB)
    _rows(other_user, 2, size=10, source="tool", source_tool="plot_csv", category="image")
    old = _rows(other_user, 1, stem="old", size=5)[0]
    StoredFile.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    ReconcileRun.objects.create(
        started_at=timezone.now(), outcome="problems", scope="users/", orphan_blobs=7
    )
    index = admin_client_.get("/admin/").content.decode()
    assert 'href="/admin/storage/"' in index
    response = admin_client_.get("/admin/storage/")
    html = response.content.decode()
    overview = response.context["overview"]
    assert overview["totals"]["files"] == 6 and overview["totals"]["bytes"] == 3 * MB + 25
    assert [u.email for u in overview["top_users"]] == ["alice@example.com", "bob@example.com"]
    by_source = {row["label"]: row["files"] for row in overview["by_source"]}
    assert by_source == {"Uploaded by the user": 4, "Generated by a tool": 2}
    per_day = overview["per_day"]
    assert len(per_day) == 30 and per_day[-1]["files"] == 5 and per_day[-4]["files"] == 1
    start = html.index('<svg id="per-day-chart"')
    svg = html[start : html.index("</svg>", start)]
    assert svg.count("<rect") == 30 and "<script" not in svg
    assert "orphan blobs 7" in html


# --- Deleting a user -------------------------------------------------------------------

USERS = "/admin/chatui/user/"


@on_s3mock
def test_deleting_a_user_deletes_their_blobs_and_nobody_elses(
    s3_backend: Any, admin_client_: Client, user: Any, other_user: Any, make_stored_file: Any
) -> None:
    for index in range(2):
        make_stored_file(filename=f"mine{index}.txt")
    theirs = make_stored_file(owner=other_user, filename="theirs.txt")
    response = admin_client_.post(f"{USERS}{user.pk}/delete/", {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert not User.objects.filter(pk=user.pk).exists()
    assert list(StoredFile.objects.all()) == [theirs]
    assert storage.list_keys("users/") == [theirs.key]


@on_s3mock
def test_bulk_user_delete_stops_with_a_message_when_storage_is_down(
    s3_backend: Any, admin_client_: Client, user: Any, make_stored_file: Any, settings: Any
) -> None:
    mine = make_stored_file()
    settings.S3_ENDPOINT = "http://127.0.0.1:9"  # nothing listens there
    settings.S3_TIMEOUT = 1.0
    data = {"action": "delete_selected", "_selected_action": [str(user.pk)], "post": "yes"}
    notes = _messages(admin_client_.post(USERS, data, follow=True))
    assert any("Stopped after 0" in note for note in notes)
    assert User.objects.filter(pk=user.pk).exists()
    assert StoredFile.objects.filter(pk=mine.pk).exists()
