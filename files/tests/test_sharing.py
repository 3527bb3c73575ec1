"""Share links and user shares end to end: the API, the anonymous pages, the audit log,
the switches. Files live on a real S3 endpoint over HTTP (s3mock/SeaweedFS)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from files.models import ShareAccess, ShareLink, UserShare

pytestmark = pytest.mark.django_db
CSV = b"month,total\n1,10\n2,20\n"


def _link(api_client: Any, file: Any, **body: Any) -> dict[str, Any]:
    body.setdefault("expires_in", 3600)
    response = api_client.post(f"/api/files/{file.pk}/links", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _path(url: str) -> str:
    return url[url.index("/s/") :]


def _body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _later(monkeypatch: Any, **delta: Any) -> None:
    """Move the clock forward for the code under test."""
    moved = timezone.now() + datetime.timedelta(**delta)
    monkeypatch.setattr(timezone, "now", lambda: moved)


# --- Links -------------------------------------------------------------------------------


def test_a_link_opens_anonymously_and_downloads_the_same_bytes(
    s3_backend, api_client, make_stored_file
) -> None:
    # given a file and a link to it
    file = make_stored_file(content=CSV, filename="totals.csv")
    created = _link(api_client, file)
    assert created["url"].startswith("http://testserver/s/")
    token = created["url"].rsplit("/", 1)[1]
    assert len(token) >= 43  # 32 random bytes, urlsafe base64
    assert not ShareLink.objects.filter(token_hash=token).exists()  # only the hash is kept
    # when someone with no account opens it and downloads
    anon = Client()
    page = anon.get(_path(created["url"]))
    download = anon.get(_path(created["url"]) + "/download")
    # then the page names the file, previews the CSV, and the bytes are the file's
    assert page.status_code == 200
    text = page.content.decode()
    assert "totals.csv" in text and "<th>month</th>" in text and "<td>20</td>" in text
    assert page["Referrer-Policy"] == "no-referrer"
    assert "noindex" in page["X-Robots-Tag"]
    assert "Content-Security-Policy" in page and page["X-Content-Type-Options"] == "nosniff"
    assert download.status_code == 200 and _body(download) == CSV
    assert download["Content-Disposition"].startswith("attachment")
    # and the owner sees one visit and one download, but never the URL again
    listed = api_client.get("/api/links").json()
    assert [(row["visits"], row["downloads"]) for row in listed] == [(1, 1)]
    assert "url" not in listed[0]


def test_active_content_is_never_previewed(s3_backend, api_client, make_stored_file) -> None:
    html = b"<html><script>alert(1)</script></html>"
    file = make_stored_file(content=html, filename="page.html")
    path = _path(_link(api_client, file)["url"])
    page = Client().get(path)
    assert b"<script>alert(1)</script>" not in page.content
    assert Client().get(path + "/preview").status_code == 410  # no inline bytes for HTML
    download = Client().get(path + "/download")
    assert download["Content-Disposition"].startswith("attachment")
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_a_password_link_refuses_wrong_passwords_then_locks_then_opens(
    s3_backend, api_client, make_stored_file, settings
) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    file = make_stored_file(content=CSV, filename="secret.csv")
    path = _path(_link(api_client, file, password="open sesame")["url"])
    anon = Client()
    # the page asks for the password and shows nothing of the file; bytes need it too
    form = anon.get(path)
    assert form.status_code == 200 and b"secret.csv" not in form.content
    assert form["Referrer-Policy"] == "same-origin"  # the POST keeps its Origin (CSRF)
    assert anon.get(path + "/download").status_code == 410
    # wrong passwords: refused, recorded, then the address is locked (429)
    for _ in range(2):
        wrong = anon.post(path, {"password": "nope"})
        assert wrong.status_code == 403 and b"secret.csv" not in wrong.content
    locked = anon.post(path, {"password": "nope"})
    assert anon.post(path, {"password": "open sesame"}).status_code == 429
    assert locked.status_code in {403, 429}
    failed = ShareAccess.objects.filter(action=ShareAccess.Action.PASSWORD_FAILED).count()
    assert failed == 3
    # from another address, the right password opens it
    other = Client(REMOTE_ADDR="10.9.8.7")
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()  # an admin unlocks the link's subject
    opened = other.post(path, {"password": "open sesame"})
    assert opened.status_code == 302
    assert b"secret.csv" in other.get(path).content
    assert _body(other.get(path + "/download")) == CSV


def test_malformed_tokens_and_passwords_never_fail_loudly(s3_backend, api_client, make_stored_file):
    file = make_stored_file(content=CSV, filename="a.csv")
    path = _path(_link(api_client, file, password="pw")["url"])
    anon = Client()
    for token in ["x", "%00", "a" * 5000, "..%2F..", "\u00e9\u00e9", "' OR 1=1 --"]:
        for suffix in ("", "/download", "/preview"):
            assert anon.get(f"/s/{token}{suffix}").status_code in {404, 410, 429}
    for password in ["", "\x00", "a" * 10_000]:
        assert anon.post(path, {"password": password}).status_code in {403, 429}
    form = "application/x-www-form-urlencoded"
    for raw in (b"password=%ff%fe%ed%a0%80", b"password[]=1&password=2", b"\xff\x00"):
        assert anon.post(path, raw, content_type=form).status_code in {403, 429}


def test_expiry_download_limit_and_revocation_close_a_link(
    s3_backend, api_client, make_stored_file, monkeypatch
) -> None:
    file = make_stored_file(content=CSV, filename="a.csv")
    expiring = _path(_link(api_client, file, expires_in=3600)["url"])
    limited = _path(_link(api_client, file, expires_in=None, max_downloads=1)["url"])
    revoked = _link(api_client, file, expires_in=None)
    anon = Client()
    # download limit: the first download works, the second and the page are gone
    assert _body(anon.get(limited + "/download")) == CSV
    assert anon.get(limited + "/download").status_code == 410
    assert anon.get(limited).status_code == 410
    # revocation: at once
    assert api_client.delete(f"/api/links/{revoked['id']}").status_code == 204
    assert anon.get(_path(revoked["url"])).status_code == 410
    # expiry: fine now, gone an hour later, same answer as an unknown token
    assert anon.get(expiring).status_code == 200
    _later(monkeypatch, hours=1, seconds=1)
    gone = anon.get(expiring)
    unknown = anon.get("/s/" + "A" * 43)
    assert gone.status_code == unknown.status_code == 410
    assert b"a.csv" not in gone.content
    assert gone.content.replace(b"A" * 43, b"") == unknown.content.replace(b"A" * 43, b"")


def test_unknown_tokens_are_rate_limited_per_address(s3_backend, settings) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "share_tokens": "3/minute"}
    guesser, bystander = Client(REMOTE_ADDR="10.0.0.5"), Client(REMOTE_ADDR="10.0.0.6")
    codes = [guesser.get(f"/s/guess{i}").status_code for i in range(5)]
    assert codes == [410, 410, 410, 429, 429]
    assert guesser.get("/s/guess9")["Retry-After"]
    assert bystander.get("/s/guess1").status_code == 410


def test_link_expiry_bounds_come_from_settings(s3_backend, api_client, stored_file, settings):
    settings.FILES_SHARE_LINK_MAX_DAYS = 2
    settings.FILES_SHARE_LINK_ALLOW_NEVER = False
    url = f"/api/files/{stored_file.pk}/links"
    for expires_in in (None, 60, 3 * 86400):
        answer = api_client.post(url, {"expires_in": expires_in}, format="json")
        assert answer.status_code == 400 and answer.json()["code"] == "invalid"
    assert api_client.post(url, {"expires_in": 86400}, format="json").status_code == 201


def test_only_the_owner_creates_lists_and_revokes_links(
    s3_backend, api_client, other_api_client, stored_file
) -> None:
    created = _link(api_client, stored_file)
    url = f"/api/files/{stored_file.pk}/links"
    assert other_api_client.post(url, {"expires_in": 3600}, format="json").status_code == 404
    assert other_api_client.get("/api/links").json() == []
    assert other_api_client.delete(f"/api/links/{created['id']}").status_code == 404
    assert api_client.get(url).json()[0]["id"] == created["id"]


# --- Switches -----------------------------------------------------------------------------


def test_files_sharing_users_turns_public_links_off(
    s3_backend, api_client, stored_file, other_user, settings
) -> None:
    path = _path(_link(api_client, stored_file)["url"])
    settings.FILES_SHARING = "users"
    create = api_client.post(
        f"/api/files/{stored_file.pk}/links", {"expires_in": 3600}, format="json"
    )
    assert create.status_code == 403 and create.json()["code"] == "sharing_disabled"
    assert Client().get(path).status_code == 410  # existing links stop opening
    share = api_client.post(
        f"/api/files/{stored_file.pk}/shares", {"email": other_user.email}, format="json"
    )
    assert share.status_code == 201


def test_files_sharing_off_turns_every_share_off(
    s3_backend, api_client, other_api_client, stored_file, other_user, settings
) -> None:
    api_client.post(
        f"/api/files/{stored_file.pk}/shares", {"email": other_user.email}, format="json"
    )
    assert other_api_client.get(f"/api/files/{stored_file.pk}").status_code == 200
    settings.FILES_SHARING = "off"
    assert other_api_client.get(f"/api/files/{stored_file.pk}").status_code == 404
    assert other_api_client.get("/api/files?shared=with_me").json()["count"] == 0
    again = api_client.post(
        f"/api/files/{stored_file.pk}/shares", {"email": other_user.email}, format="json"
    )
    assert again.status_code == 403 and again.json()["code"] == "sharing_disabled"


# --- User shares --------------------------------------------------------------------------


def test_a_recipient_reads_but_never_changes_and_revocation_is_immediate(
    s3_backend, api_client, other_api_client, make_stored_file, other_user
) -> None:
    file = make_stored_file(content=CSV, filename="team.csv")
    share = api_client.post(
        f"/api/files/{file.pk}/shares", {"email": "BOB@example.com"}, format="json"
    ).json()
    assert share["recipient_email"] == other_user.email
    detail = f"/api/files/{file.pk}"
    # the recipient: listed under shared-with-me with the owner, readable, downloadable
    mine = other_api_client.get("/api/files?shared=with_me").json()
    assert [(row["filename"], row["user_email"]) for row in mine["results"]] == [
        ("team.csv", "alice@example.com")
    ]
    assert other_api_client.get("/api/files").json()["count"] == 0  # not among their own
    assert other_api_client.get(detail).status_code == 200
    assert _body(other_api_client.get(detail + "/download")) == CSV
    # but may not change, delete, share or link it
    assert other_api_client.patch(detail, {"filename": "x.csv"}, format="json").status_code == 404
    assert other_api_client.delete(detail).status_code == 404
    assert (
        other_api_client.post(detail + "/links", {"expires_in": 3600}, format="json").status_code
        == 404
    )
    # the owner revokes: the next request is refused
    assert api_client.delete(f"/api/shares/{share['id']}").status_code == 204
    assert other_api_client.get(detail).status_code == 404
    assert other_api_client.get(detail + "/download").status_code == 404


def test_tag_sharing_follows_tag_changes(
    s3_backend, api_client, other_api_client, make_stored_file, other_user
) -> None:
    tagged = make_stored_file(content=CSV, filename="q1.csv", tags={"project": "apollo"})
    other = make_stored_file(content=CSV, filename="q2.csv", tags={"project": "zeus"})
    answer = api_client.post(
        "/api/tags/project=apollo/shares", {"email": other_user.email}, format="json"
    )
    assert answer.status_code == 201 and answer.json()["tag"] == "project=apollo"

    def shared_names() -> list[str]:
        rows = other_api_client.get("/api/files?shared=with_me").json()["results"]
        return sorted(row["filename"] for row in rows)

    assert shared_names() == ["q1.csv"]
    assert other_api_client.get(f"/api/files/{other.pk}").status_code == 404
    # retagging moves a file in and out of the share on the next request
    api_client.patch(f"/api/files/{other.pk}", {"tags": {"project": "apollo"}}, format="json")
    api_client.patch(f"/api/files/{tagged.pk}", {"tags": {}}, format="json")
    assert shared_names() == ["q2.csv"]
    assert other_api_client.get(f"/api/files/{other.pk}").status_code == 200
    assert other_api_client.get(f"/api/files/{tagged.pk}").status_code == 404


def test_shares_with_unknown_users_or_oneself_are_refused(
    s3_backend, api_client, stored_file, user
) -> None:
    url = f"/api/files/{stored_file.pk}/shares"
    assert api_client.post(url, {"email": "nobody@example.com"}, format="json").status_code == 404
    assert api_client.post(url, {"email": user.email}, format="json").status_code == 400
    assert api_client.post(
        "/api/tags/=x/shares", {"email": "b@x.io"}, format="json"
    ).status_code in {
        400,
        404,
    }


def test_every_access_through_a_share_is_in_the_audit_log(
    s3_backend, api_client, other_api_client, make_stored_file, other_user
) -> None:
    file = make_stored_file(content=CSV, filename="a.csv")
    share = api_client.post(
        f"/api/files/{file.pk}/shares", {"email": other_user.email}, format="json"
    ).json()
    link = _link(api_client, file)
    other_api_client.get(f"/api/files/{file.pk}/download")
    api_client.get(f"/api/files/{file.pk}/download")  # the owner's own reads: not logged
    anon = Client(REMOTE_ADDR="192.0.2.7")
    anon.get(_path(link["url"]))
    anon.get(_path(link["url"]) + "/download")
    rows = list(ShareAccess.objects.order_by("id"))
    assert [(r.action, r.user_id, r.ip_address, r.file_id) for r in rows] == [
        ("download", other_user.pk, "127.0.0.1", file.pk),
        ("visit", None, "192.0.2.7", file.pk),
        ("download", None, "192.0.2.7", file.pk),
    ]
    assert str(rows[0].share_id) == share["id"] and str(rows[1].link_id) == link["id"]


def test_shares_list_is_the_owners(
    s3_backend, api_client, other_api_client, stored_file, other_user
) -> None:
    api_client.post(
        f"/api/files/{stored_file.pk}/shares", {"email": other_user.email}, format="json"
    )
    assert [row["recipient_email"] for row in api_client.get("/api/shares").json()] == [
        other_user.email
    ]
    assert other_api_client.get("/api/shares").json() == []
    share = UserShare.objects.get()
    assert other_api_client.delete(f"/api/shares/{share.pk}").status_code == 404
    by_me = api_client.get("/api/files?shared=by_me").json()["results"]
    assert [row["id"] for row in by_me] == [str(stored_file.pk)]


def test_opening_a_link_costs_a_few_queries(
    s3_backend, api_client, make_stored_file, django_assert_max_num_queries
) -> None:
    # given a link to a file, opened by a browser with no session
    file = make_stored_file(content=CSV, filename="a.csv")
    path = _path(_link(api_client, file)["url"])
    anon = Client()
    # then the page is the link's lookup, its visit count and its audit row; so is a download
    with django_assert_max_num_queries(3):
        assert anon.get(path).status_code == 200
    with django_assert_max_num_queries(3):
        response = anon.get(path + "/download")
        assert _body(response) == CSV


def test_the_admin_lists_and_revokes_links_and_shares(
    s3_backend, api_client, stored_file, other_user, make_user
) -> None:
    # given a link and a share, and a superuser in the admin
    link = _link(api_client, stored_file)
    api_client.post(
        f"/api/files/{stored_file.pk}/shares", {"email": other_user.email}, format="json"
    )
    admin = Client()
    admin.force_login(make_user("root@example.com", is_staff=True, is_superuser=True))
    # when they revoke both from the changelists
    for model, pk in (("sharelink", link["id"]), ("usershare", UserShare.objects.get().pk)):
        listed = admin.get(f"/admin/files/{model}/")
        assert listed.status_code == 200 and stored_file.filename in listed.content.decode()
        done = admin.post(
            f"/admin/files/{model}/", {"action": "revoke", "_selected_action": [str(pk)]}
        )
        assert done.status_code == 302
    # then both are revoked, and the link no longer opens
    assert ShareLink.objects.get().revoked_at and UserShare.objects.get().revoked_at
    assert Client().get(_path(link["url"])).status_code == 410
    # and the audit log is read-only
    assert admin.get("/admin/files/shareaccess/").status_code == 200
    assert admin.get("/admin/files/shareaccess/add/").status_code == 403


def test_links_purge_expired_removes_only_expired_or_revoked_links(
    s3_backend, api_client, stored_file, monkeypatch
) -> None:
    from files.sharing.services import links_purge_expired

    _link(api_client, stored_file, expires_in=3600)
    kept = _link(api_client, stored_file, expires_in=None)
    revoked = _link(api_client, stored_file, expires_in=None)
    api_client.delete(f"/api/links/{revoked['id']}")
    Client().get(_path(kept["url"]))  # an audit row that must outlive its link's purge
    assert links_purge_expired() == 1  # the revoked one; a dry run by default
    _later(monkeypatch, hours=2)
    assert links_purge_expired(apply=True) == 2
    assert [str(link.pk) for link in ShareLink.objects.all()] == [kept["id"]]
    assert ShareAccess.objects.count() == 1


# --- Versions and lifecycle ---------------------------------------------------------------


def test_a_pinned_link_keeps_its_version_and_a_following_one_moves_on(
    s3_backend, api_client, make_stored_file
) -> None:
    from files.versions import version_upload

    # given two links to v1, one pinned
    file = make_stored_file(content=b"first\n", filename="notes.txt")
    pinned = _path(_link(api_client, file, pin_version=True)["url"])
    following = _path(_link(api_client, file)["url"])
    assert ShareLink.objects.filter(pinned_version=1).count() == 1
    # when the owner uploads v2
    version_upload(file=file, content=b"second, longer\n")
    # then the pinned link serves v1, the following one v2, page and bytes alike
    anon = Client()
    assert _body(anon.get(pinned + "/download")) == b"first\n"
    assert _body(anon.get(following + "/download")) == b"second, longer\n"
    assert b"first" in anon.get(pinned).content and b"second" in anon.get(following).content


def test_trash_suspends_shares_and_links_restore_revives_delete_removes(
    s3_backend, api_client, other_api_client, make_stored_file, other_user
) -> None:
    file = make_stored_file(content=CSV, filename="a.csv")
    api_client.post(f"/api/files/{file.pk}/shares", {"email": other_user.email}, format="json")
    path = _path(_link(api_client, file)["url"])
    detail = f"/api/files/{file.pk}"

    def access() -> tuple[int, int, int]:
        listed = other_api_client.get("/api/files?shared=with_me").json()["count"]
        return other_api_client.get(detail).status_code, Client().get(path).status_code, listed

    assert access() == (200, 200, 1)
    # to the trash: suspended (same answers as for a missing file or a dead link)
    assert api_client.delete(detail).status_code == 204
    assert access() == (404, 410, 0)
    # restored: back, nothing to redo
    assert api_client.post(f"{detail}/restore").status_code == 200
    assert access() == (200, 200, 1)
    # deleted for good: the shares and links go with it, the audit log stays
    assert api_client.delete(f"{detail}?permanent=true").status_code == 204
    assert access() == (404, 410, 0)
    assert not ShareLink.objects.exists() and not UserShare.objects.exists()
    assert ShareAccess.objects.filter(file_id=file.pk).exists()


def test_deleting_a_chat_keeps_the_files_shared_from_it(
    s3_backend, api_client, other_api_client, make_stored_file, other_user, user
) -> None:
    from chat.services import session_create

    chat = session_create(owner=user)
    shared = make_stored_file(content=CSV, filename="shared.csv", session_id=chat.id)
    linked = make_stored_file(content=CSV, filename="linked.csv", session_id=chat.id)
    alone = make_stored_file(content=CSV, filename="alone.csv", session_id=chat.id)
    api_client.post(f"/api/files/{shared.pk}/shares", {"email": other_user.email}, format="json")
    _link(api_client, linked)
    preview = api_client.get(f"/api/chats/{chat.pk}/delete-preview").json()
    assert preview["files_to_delete"] == 1
    assert api_client.delete(f"/api/chats/{chat.pk}").status_code == 200
    live = {row["filename"] for row in api_client.get("/api/files").json()["results"]}
    assert live == {"shared.csv", "linked.csv"}
    assert other_api_client.get(f"/api/files/{shared.pk}").status_code == 200
    assert api_client.get(f"/api/files/{alone.pk}").status_code == 404  # in the trash


def test_files_purge_removes_expired_links(s3_backend, api_client, stored_file, monkeypatch):
    from io import StringIO

    from django.core.management import call_command

    _link(api_client, stored_file, expires_in=3600)
    _later(monkeypatch, hours=2)
    out = StringIO()
    call_command("files_purge", stdout=out)
    assert "1 expired or revoked share links: would delete." in out.getvalue()
    assert ShareLink.objects.count() == 1
    call_command("files_purge", "--apply", stdout=StringIO())
    assert ShareLink.objects.count() == 0


def test_shared_with_me_takes_the_file_lists_filters(
    s3_backend, api_client, other_api_client, make_stored_file, other_user
) -> None:
    for name in ("alpha.csv", "beta.txt"):
        file = make_stored_file(content=CSV, filename=name)
        api_client.post(f"/api/files/{file.pk}/shares", {"email": other_user.email}, format="json")

    def names(query: str) -> list[str]:
        rows = other_api_client.get(f"/api/files?shared=with_me&{query}").json()["results"]
        return [row["filename"] for row in rows]

    assert names("ordering=filename") == ["alpha.csv", "beta.txt"]
    assert names("q=alp") == ["alpha.csv"]
    assert names("category=data") == ["alpha.csv"]
    assert names("source=tool") == []
    assert other_api_client.get("/api/files?shared=nope").status_code == 400
