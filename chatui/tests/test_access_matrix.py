"""Every door of the project, tried anonymously, as another user, as staff and as the owner.

The tables below have one row per URL pattern (and method) of ``get_resolver()``,
one per registered ModelAdmin (its generated views as a group, custom views by
name), one per built-in tool, one per websocket route and one per route of the
s3mock JSON API. ``test_every_route_has_a_row`` fails when a pattern, a method of
an API view, a ModelAdmin, a tool or a JSON API segment appears without a row: a new
door is not open until someone has written down who may pass it.

Expected outcomes: an HTTP status, or ``LOGIN`` / ``ADMIN_LOGIN`` (a 302 to that
login page). Whatever the status, a response to anyone but the owner (and staff in
the admin) never contains the owner's filename, file content or chat title, and
every HTML page carries the strict Content-Security-Policy.
"""

from __future__ import annotations

import base64
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from chat.services import session_create
from chatui.middleware import CONTENT_SECURITY_POLICY
from chatui.routing import websocket_urlpatterns
from files.documents.jobs import extract_text, text_extraction_run
from files.models import ReconcileRun
from files.sharing.audit import share_access_record
from files.sharing.services import link_create, link_revoke, share_create_for_file
from s3mock.app import JSON_API_SEGMENTS
from tools.executor import tool_run
from tools.registry import tool_list

pytestmark = [pytest.mark.django_db]
on_s3mock = pytest.mark.parametrize("s3_backend", ["s3mock"], indirect=True)

LOGIN = "login"  # 302 to /accounts/login/
ADMIN_LOGIN = "admin-login"  # 302 to /admin/login/
SECRET_NAME = "alice-secret-report.csv"
SECRET_CONTENT = b"month,alice_secret_total\n1,10\n2,20\n"
SECRET_TITLE = "alice-secret-chat-title"
SECRET_WORD = "alicesecretword"  # in the text of an indexed file of alice's
NOTES_NAME = "alice-notes.txt"  # that file
SECRETS = (SECRET_NAME, "alice_secret_total", SECRET_TITLE, SECRET_WORD, NOTES_NAME)
ACTORS = ("anon", "other", "staff", "owner")
CAROL = "carol@example.com"  # a share's recipient who is not an actor of the HTTP rows
APP_INDEX = "<app_label>/"  # the admin's app index (a regex of the registered apps)


@dataclass(frozen=True)
class Row:
    """Expected outcome per actor; ``staff`` defaults to ``other`` (no API superpowers)."""

    anon: int | str
    other: int | str
    owner: int | str
    staff: int | str | None = None
    body: dict[str, Any] | None = None  # JSON body of a POST/PATCH
    query: str = ""
    # More query strings tried with the same expectations (searches, filters): each is
    # a way to name the owner's data that must find nothing for anyone else.
    variants: tuple[str, ...] = ()
    # A secret the owner's answer must contain (to every query): the query finds it, so
    # its absence from everyone else's answer means something.
    shows: str | None = None

    def queries(self) -> tuple[str, ...]:
        return (self.query, *self.variants)

    def expected(self, actor: str) -> int | str:
        value = getattr(self, actor)
        return self.other if value is None else value


# --- The tables ------------------------------------------------------------------------

ROUTES: dict[tuple[str, str], Row] = {
    # Pages: login required, then the user's own data only.
    ("", "GET"): Row(LOGIN, 200, 200),
    # The page's filters fall back to their defaults, whatever they are given (NUL was a
    # 500 on PostgreSQL); ?q= names the owner's file.
    ("files", "GET"): Row(
        LOGIN, 200, 200, variants=("q=alice-secret", "q=a%00b&session=%00&ordering=%00&page=%00")
    ),
    ("accounts/login/", "GET"): Row(200, 302, 302),  # signed in: redirected home
    ("accounts/login/", "POST"): Row(200, 302, 302, body={"username": "x", "password": "y"}),
    ("accounts/logout/", "POST"): Row(LOGIN, LOGIN, LOGIN),  # signed out, shown the login
    # Files API: another user's file is 404, exactly like a missing one.
    ("api/files", "GET"): Row(
        401,
        200,
        200,
        query="q=alice-secret",
        variants=("checksum=<checksum>", "q=report&category=data&ordering=-size", ""),
        shows=SECRET_NAME,
    ),
    ("api/files", "POST"): Row(
        401, 201, 201, body={"filename": "n.txt", "content_base64": base64.b64encode(b"x").decode()}
    ),
    ("api/files/<str:file_id>", "GET"): Row(401, 404, 200, query="include=content"),
    # (keeps the secret tag: the tag list's row may run after it)
    ("api/files/<str:file_id>", "PATCH"): Row(
        401, 404, 200, body={"tags": {"k": "v", "alice_secret_total": "1"}}
    ),
    ("api/files/<str:file_id>", "DELETE"): Row(401, 404, 204),
    ("api/files/<str:file_id>/download", "GET"): Row(
        401, 404, 200, variants=("inline=1",), shows="alice_secret_total"
    ),
    # Versions and trash (#17): v2 from a JSON body, then restoring v1 makes v3.
    ("api/files/<str:file_id>/versions", "GET"): Row(401, 404, 200),
    ("api/files/<str:file_id>/versions", "POST"): Row(
        401, 404, 201, body={"content_base64": base64.b64encode(b"month,b\n1,2\n").decode()}
    ),
    ("api/files/<str:file_id>/versions/<str:number>/restore", "POST"): Row(401, 404, 201),
    ("api/files/<str:file_id>/diff", "GET"): Row(
        401, 404, 200, query="from=1&to=2", shows=SECRET_NAME
    ),
    ("api/files/<str:file_id>/restore", "POST"): Row(401, 404, 200),
    ("api/files/<str:file_id>/chats", "GET"): Row(401, 404, 200),
    ("api/trash", "GET"): Row(401, 200, 200),
    ("api/trash", "DELETE"): Row(401, 200, 200),
    ("api/files/tags", "GET"): Row(
        401, 200, 200, query="q=alice", variants=("",), shows="alice_secret_total"
    ),
    ("api/files/zip", "GET"): Row(
        401, 404, 200, query="ids=<str:file_id>", variants=("ids=<str:file_id>&ids=<image>",)
    ),
    # The owner's file is still queued for extraction here (no worker runs): a typed 409.
    ("api/files/<str:file_id>/text", "GET"): Row(401, 404, 409, query="page=1"),
    # Alice's notes are indexed (her CSV is still queued): her search finds the word.
    ("api/search", "GET"): Row(
        401,
        200,
        200,
        query=f"q={SECRET_WORD}",
        variants=(f"q={SECRET_WORD}&name=notes",),  # (the answers do not repeat q)
        shows=SECRET_WORD,
    ),
    # Staff may read anyone's stats (the admin's view of a user), nobody else may.
    ("api/users/<str:email>/files/stats", "GET"): Row(401, 403, 200, staff=200),
    ("api/health", "GET"): Row(200, 200, 200),
    # The schema and its docs describe the API, hold no data: public on purpose.
    ("api/schema/", "GET"): Row(200, 200, 200),
    ("api/docs/", "GET"): Row(200, 200, 200),
    ("api/tools", "GET"): Row(401, 200, 200),
    ("api/tools/<str:name>/run", "POST"): Row(401, 404, 200),  # body: see TOOL_ARGUMENTS
    # A tool form's choices: each user sees only their own files and columns.
    ("api/tools/<str:name>/files", "GET"): Row(
        401, 200, 200, query="q=alice-secret", variants=("",), shows=SECRET_NAME
    ),
    ("api/tools/<str:name>/columns", "GET"): Row(401, 404, 200, query="file=<str:file_id>"),
    ("api/chats", "GET"): Row(
        401, 200, 200, query="q=alice-secret-chat", variants=("",), shows=SECRET_TITLE
    ),
    ("api/chats", "POST"): Row(401, 201, 201, body={"title": "mine"}),
    ("api/chats/<str:session_id>", "GET"): Row(401, 404, 200),
    ("api/chats/<str:session_id>", "PATCH"): Row(401, 404, 200, body={"title": "renamed"}),
    ("api/chats/<str:session_id>", "DELETE"): Row(401, 404, 200),
    ("api/chats/<str:session_id>/files", "GET"): Row(401, 404, 200),
    ("api/chats/<str:session_id>/delete-preview", "GET"): Row(401, 404, 200, shows=SECRET_NAME),
    # Sharing (files/sharing/): only the owner makes, lists and revokes shares and links.
    # The shares go to carol, who is not an actor here: the rows after them stay as they are.
    ("api/files/<str:file_id>/links", "GET"): Row(401, 404, 200),
    ("api/files/<str:file_id>/links", "POST"): Row(401, 404, 201, body={"expires_in": 3600}),
    ("api/files/<str:file_id>/shares", "POST"): Row(401, 404, 201, body={"email": CAROL}),
    ("api/tags/<str:tag>/shares", "POST"): Row(401, 201, 201, body={"email": CAROL}),
    ("api/links", "GET"): Row(401, 200, 200),
    ("api/links/<str:link_id>", "DELETE"): Row(401, 404, 204),
    ("api/shares", "GET"): Row(401, 200, 200),
    ("api/shares/<str:share_id>", "DELETE"): Row(401, 404, 204),
    # The public link pages, with the token of a revoked link: gone for everyone alike
    # (a live link's rows are in test_sharing_states).
    ("s/<str:token>", "GET"): Row(410, 410, 410),
    ("s/<str:token>/preview", "GET"): Row(410, 410, 410),
    ("s/<str:token>/download", "GET"): Row(410, 410, 410),
    # Admin site views (staff = a superuser; the owner is a plain user).
    ("admin/", "GET"): Row(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, staff=200),
    ("admin/login/", "GET"): Row(200, 200, 200, staff=302),
    ("admin/logout/", "POST"): Row(302, 302, 302, staff=LOGIN),
    ("admin/password_change/", "GET"): Row(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, staff=200),
    ("admin/password_change/done/", "GET"): Row(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, staff=200),
    ("admin/autocomplete/", "GET"): Row(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, staff=403),
    ("admin/jsi18n/", "GET"): Row(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, staff=200),
    ("admin/r/<path:content_type_id>/<path:object_id>/", "GET"): Row(
        ADMIN_LOGIN,
        ADMIN_LOGIN,
        ADMIN_LOGIN,
        staff=404,  # no model here has a public URL
    ),
    ("admin/storage/", "GET"): Row(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, staff=200),
    ("admin/" + APP_INDEX, "GET"): Row(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, staff=200),
    ("admin/(?P<url>.*)$", "GET"): Row(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, staff=404),
}


@dataclass(frozen=True)
class AdminRow:
    """A ModelAdmin's generated views for a superuser (everyone else: the admin login)."""

    add: int = 200
    extra: dict[str, int] = field(default_factory=dict)  # custom views, by route suffix


GENERATED_ADMIN_VIEWS = (
    "",
    "add/",
    "<path:object_id>/history/",
    "<path:object_id>/delete/",
    "<path:object_id>/change/",
    "<path:object_id>/",
)
ADMIN_MODELS: dict[str, AdminRow] = {
    "auth.group": AdminRow(),
    "authtoken.tokenproxy": AdminRow(),
    "chatui.user": AdminRow(extra={"<id>/password/": 200}),
    "files.storedfile": AdminRow(
        add=403,
        extra={
            "<path:object_id>/download/": 200,
            # a GET is the confirmation page; the POST (a restore) is in files' admin tests
            "<path:object_id>/versions/<int:number>/restore/": 200,
        },
    ),
    "files.reconcilerun": AdminRow(add=403),
    # django-tasks-db's own admin: read-only (no add, change or delete).
    "django_tasks_database.dbtaskresult": AdminRow(
        add=403, extra={"<path:object_id>/delete/": 403}
    ),
    "tools.toolrun": AdminRow(add=403),
    "chat.chatsession": AdminRow(),
    # django-axes' sign-in records (chatui/login_throttle.py): read and delete only
    "axes.accessattempt": AdminRow(add=403),
    "axes.accesslog": AdminRow(add=403),
    "axes.accessfailurelog": AdminRow(add=403),
    # Sharing: read-only rows with a revoke action; the audit log is never deleted.
    "files.sharelink": AdminRow(add=403, extra={"<path:object_id>/delete/": 403}),
    "files.usershare": AdminRow(add=403, extra={"<path:object_id>/delete/": 403}),
    "files.shareaccess": AdminRow(add=403, extra={"<path:object_id>/delete/": 403}),
}

# Arguments that make each built-in tool succeed for the owner on the owner's CSV.
TOOL_ARGUMENTS: dict[str, dict[str, Any]] = {
    "csv_summary": {"file_id": "{file}"},
    "plot_csv": {"file_id": "{file}", "x": "month", "y": "alice_secret_total"},
    "image_info": {"file_id": "{image}"},
    "image_thumbnail": {"file_id": "{image}", "size": 16},
    "text_search": {"file_ids": ["{file}"], "pattern": "secret"},
    "search_files": {"file_ids": ["{file}"], "query": "alice_secret_total"},
    "zip_files": {"file_ids": ["{file}"]},
    "convert_table": {"file_id": "{file}", "to": "json"},
}

WEBSOCKET_ROUTES = {"ws/chat/"}  # rows: test_websocket_doors
S3MOCK_JSON_ROUTES = {  # rows: test_s3mock_json_api_doors
    ("health", "GET"),
    ("files", "GET"),
    ("files", "POST"),
    ("files/<key>", "GET"),
    ("files/<key>", "DELETE"),
    ("users/<email>/files/stats", "GET"),
}


# Cases tried (requests or frames, by actor) and what they found, over the whole module;
# printed when the session ends, even without ``-s`` (the closing note quotes the line).
TRIED: Counter[str] = Counter()
FOUND: Counter[str] = Counter({"server errors": 0, "leaks": 0})


@pytest.fixture(scope="session", autouse=True)  # once, whatever order tests run in
def cases_summary(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    by_actor = ", ".join(f"{actor} {TRIED[actor]}" for actor in ACTORS)
    line = (
        f"access matrix: {sum(TRIED.values())} cases tried ({by_actor}); "
        f"{FOUND['server errors']} server errors, {FOUND['leaks']} leaks"
    )
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\n{line}")


# --- Discovering the doors ---------------------------------------------------------------


def _flatten(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if getattr(pattern, "name", None) == "app_list":  # its regex lists the apps, any order
            route = prefix + APP_INDEX
        if isinstance(pattern, URLResolver):
            yield from _flatten(pattern.url_patterns, route)
        else:
            yield route, pattern


def _admin_model_prefixes() -> dict[str, str]:
    return {
        f"admin/{model._meta.app_label}/{model._meta.model_name}/": model._meta.label_lower
        for model in admin.site._registry
    }


def _api_methods(pattern: URLPattern) -> set[str]:
    view = getattr(pattern.callback, "cls", None)  # DRF APIView: methods it handles
    if view is None:
        return set()
    names = ("get", "post", "put", "patch", "delete")
    return {name.upper() for name in names if hasattr(view, name)}


def test_every_route_has_a_row() -> None:
    model_prefixes = _admin_model_prefixes()
    missing, unknown_methods, covered = [], [], set()
    for route, pattern in _flatten(get_resolver().url_patterns):
        prefix = next((p for p in model_prefixes if route.startswith(p)), None)
        if prefix is not None:
            suffix = route[len(prefix) :]
            row = ADMIN_MODELS.get(model_prefixes[prefix])
            if row is None or (suffix not in GENERATED_ADMIN_VIEWS and suffix not in row.extra):
                missing.append(route)
            continue
        rows = {method for (r, method) in ROUTES if r == route}
        covered.add(route)
        if not rows:
            missing.append(route)
        unknown_methods += [f"{m} {route}" for m in _api_methods(pattern) - rows]
    assert not missing, f"URL patterns without a row in the access matrix: {missing}"
    assert not unknown_methods, f"API methods without a row: {unknown_methods}"
    assert {r for r, _ in ROUTES} <= covered, "rows for routes that no longer exist"
    assert set(ADMIN_MODELS) == set(model_prefixes.values()), "ModelAdmins changed"
    assert set(TOOL_ARGUMENTS) == {tool.name for tool in tool_list()}, "tools changed"
    assert {str(p.pattern) for p in websocket_urlpatterns} == WEBSOCKET_ROUTES
    assert {route.split("/")[0] for route, _ in S3MOCK_JSON_ROUTES} == set(JSON_API_SEGMENTS)


# --- The world: alice owns things, bob is another user, staff is a superuser -------------


@dataclass
class World:
    users: dict[str, Any]
    clients: dict[str, Any]
    values: dict[str, str]  # placeholder -> value, for the owner's objects
    admin_objects: dict[str, str]  # model label -> pk of an object of alice's


def _session_client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _png_bytes() -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (32, 20), "red").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def world(
    s3_backend: Any, user: Any, other_user: Any, make_user: Any, make_stored_file: Any
) -> World:
    staff = make_user("root@example.com", is_staff=True, is_superuser=True)
    session = session_create(owner=user, title=SECRET_TITLE)
    file = make_stored_file(
        content=SECRET_CONTENT,
        filename=SECRET_NAME,
        session_id=session.pk,
        tags={"alice_secret_total": "1"},  # a tag name only the owner's #tag menu may list
    )
    image = make_stored_file(content=_png_bytes(), filename="alice-picture.png")
    notes = make_stored_file(content=f"the {SECRET_WORD} is here\n".encode(), filename=NOTES_NAME)
    assert text_extraction_run(file_id=str(notes.pk)) == "ready"
    run = tool_run(user=user, name="csv_summary", arguments={"file_id": str(file.pk)}).run
    Token.objects.get_or_create(user=user)
    make_user(CAROL)
    link = link_create(file=image, expires_in=None).link  # on the image: "file" is deleted
    gone = link_create(file=file, expires_in=None)
    link_revoke(link=gone.link)
    share = share_create_for_file(file=image, email=CAROL)
    access = share_access_record(file=file, link=link, action="visit", ip="10.0.0.1")
    values = {
        "{file}": str(file.pk),
        "{image}": str(image.pk),
        "<image>": str(image.pk),
        "<checksum>": file.checksum,
        "<str:file_id>": str(file.pk),
        "<str:session_id>": str(session.pk),
        "<str:number>": "1",
        "<int:number>": "1",
        "<str:email>": user.email,
        "<str:name>": "csv_summary",
        "<str:tag>": "project",
        "<str:link_id>": str(link.pk),
        "<str:share_id>": str(share.pk),
        "<str:token>": gone.token,
        "<id>": str(user.pk),
        "<path:content_type_id>": "1",
        "<path:object_id>": str(file.pk),
        APP_INDEX: "files/",
        "(?P<url>.*)$": "no-such-page/",
    }
    users = {"other": other_user, "staff": staff, "owner": user}
    clients: dict[str, Any] = {"anon": Client()}
    clients.update({actor: _logged_in(who) for actor, who in users.items()})
    reconcile = ReconcileRun.objects.create(started_at=file.created_at, scope="users/")
    admin_objects = {
        "auth.group": str(Group.objects.create(name="alice-group").pk),
        "authtoken.tokenproxy": str(user.pk),  # TokenAdmin maps user ids to tokens
        "chatui.user": str(user.pk),
        "files.storedfile": str(file.pk),
        "files.reconcilerun": str(reconcile.pk),
        "tools.toolrun": str(run.pk),
        "chat.chatsession": str(session.pk),
        "files.sharelink": str(link.pk),
        "files.usershare": str(share.pk),
        "files.shareaccess": str(access.pk),
        **_axes_records(user.email),
        "django_tasks_database.dbtaskresult": str(extract_text.enqueue(str(file.pk)).id),
    }
    return World(users, clients, values, admin_objects)


def _axes_records(email: str) -> dict[str, str]:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    seen = {"username": email, "ip_address": "10.0.0.1", "user_agent": "t", "path_info": "/"}
    attempt = AccessAttempt.objects.create(
        **seen, http_accept="*/*", get_data="", post_data="", failures_since_start=1
    )
    log = AccessLog.objects.create(**seen, http_accept="*/*")
    failure = AccessFailureLog.objects.create(**seen, http_accept="*/*")
    return {
        "axes.accessattempt": str(attempt.pk),
        "axes.accesslog": str(log.pk),
        "axes.accessfailurelog": str(failure.pk),
    }


def _logged_in(user: Any) -> APIClient:
    client = APIClient()
    client.force_login(user)  # session auth: pages and API alike, as a browser would
    return client


# --- Trying the doors ----------------------------------------------------------------------


def _url(route: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():
        if placeholder.startswith(("<", "(")):
            route = route.replace(placeholder, value)
    return "/" + route


def _request(client: Any, method: str, url: str, body: dict[str, Any] | None) -> Any:
    call = getattr(client, method.lower())
    if method == "GET":
        return call(url)
    if isinstance(client, APIClient) and url.startswith("/api/"):
        return call(url, body or {}, format="json")
    return call(url, body or {})


def _body_text(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def _outcome(response: Any) -> int | str:
    location = response.get("Location", "")
    if response.status_code == 302 and location.startswith("/accounts/login/"):
        return LOGIN
    if response.status_code == 302 and location.startswith("/admin/login/"):
        return ADMIN_LOGIN
    return response.status_code


def _check(actor: str, method: str, url: str, row: Row, response: Any) -> list[str]:
    problems = []
    got, want = _outcome(response), row.expected(actor)
    text = _body_text(response)
    TRIED[actor] += 1
    if got != want:
        problems.append(f"{actor} {method} {url}: got {got}, want {want}: {text[:200]}")
    if actor == "owner" and row.shows is not None and row.shows not in text:
        problems.append(f"owner {method} {url}: the owner's answer lacks {row.shows!r}")
    if isinstance(got, int) and got >= 500:
        FOUND["server errors"] += 1
    privileged = actor == "owner" or (actor == "staff" and url.startswith("/admin/"))
    if not privileged:
        leaked = [secret for secret in SECRETS if secret in text]
        if leaked:
            FOUND["leaks"] += 1
            problems.append(f"{actor} {method} {url}: response leaks {leaked}")
    is_html = response.get("Content-Type", "").startswith("text/html")
    policy = response.get("Content-Security-Policy")
    if is_html and policy != CONTENT_SECURITY_POLICY:  # no exemptions, /api/docs/ included
        problems.append(f"{actor} {method} {url}: HTML without the strict CSP")
    return problems


def _tool_body(name: str, values: dict[str, str]) -> dict[str, Any]:
    def fill(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("{"):
            return values[value]
        if isinstance(value, list):
            return [fill(item) for item in value]
        return value

    return {key: fill(value) for key, value in TOOL_ARGUMENTS[name].items()}


@on_s3mock
def test_http_doors(world: World, s3_backend: Any) -> None:
    problems: list[str] = []
    # DELETE rows last: the owner's delete removes what the other rows need.
    for (route, method), row in sorted(ROUTES.items(), key=lambda item: item[0][1] == "DELETE"):
        body = row.body
        if route == "api/tools/<str:name>/run":
            body = _tool_body("csv_summary", world.values)
        for query in row.queries():
            url = _url(route + (f"?{query}" if query else ""), world.values)
            for actor in ACTORS:
                if route.startswith("admin/logout") or route.startswith("accounts/logout"):
                    client = _fresh_client(world, actor)  # logging out must not end the others
                else:
                    client = world.clients[actor]
                response = _request(client, method, url, body)
                problems += _check(actor, method, url, row, response)
    assert not problems, "\n".join(problems)


def _fresh_client(world: World, actor: str) -> Any:
    return Client() if actor == "anon" else _logged_in(world.users[actor])


@on_s3mock
def test_admin_doors(world: World, s3_backend: Any) -> None:
    problems: list[str] = []
    prefixes = {label: prefix for prefix, label in _admin_model_prefixes().items()}
    for label, admin_row in ADMIN_MODELS.items():
        pk = world.admin_objects[label]
        views = {view: 200 for view in GENERATED_ADMIN_VIEWS}
        # the changelist's search box too: every search field must exist on the model
        views.update({"add/": admin_row.add, "<path:object_id>/": 302, "?q=%3Cb%3E": 200})
        views.update(admin_row.extra)
        for suffix, staff_status in views.items():
            route = prefixes[label] + suffix
            url = _url(route, {**world.values, "<path:object_id>": pk})
            row = Row(ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, staff=staff_status)
            for actor in ACTORS:
                response = _request(world.clients[actor], "GET", url, None)
                problems += _check(actor, "GET", url, row, response)
    assert not problems, "\n".join(problems)


@on_s3mock
def test_tool_run_doors(world: World, s3_backend: Any) -> None:
    # given, for each tool, arguments naming the owner's files that work for the owner
    problems: list[str] = []
    for name in sorted(TOOL_ARGUMENTS):
        body = _tool_body(name, world.values)
        url = f"/api/tools/{name}/run"
        # then anonymous is refused, another user's run finds no such file, the owner's works
        for actor in ACTORS:
            client = world.clients[actor] if actor != "anon" else APIClient()
            response = client.post(url, body, format="json")
            problems += _check(actor, "POST", url, Row(401, 404, 200), response)
    # and a search over "all my files" (no ids) finds alice's notes for her alone (the
    # answer repeats the query, so the probe is the notes' name, not the word searched)
    url, body = "/api/tools/search_files/run", {"query": SECRET_WORD}
    for actor in ACTORS:
        client = world.clients[actor] if actor != "anon" else APIClient()
        response = client.post(url, body, format="json")
        TRIED[actor] += 1
        found = NOTES_NAME in _body_text(response)
        if response.status_code != (401 if actor == "anon" else 200) or found != (actor == "owner"):
            FOUND["leaks"] += found and actor != "owner"
            problems.append(f"{actor} POST {url}: {response.status_code}, notes found: {found}")
    assert not problems, "\n".join(problems)


# --- Documents: extracted text through every reader ------------------------------------------

SECRET_TAG = "alicesecrettag"
SECRET_PASSAGE = "wombatvault"  # in the document only, never in a query or a name
# Each way extracted text reaches someone, as (name, reader): the reader gets the
# actor and returns everything that actor would see. The owner's must hold the
# document's secret word (the door works), the other user's must not (it is closed).
DOCUMENT_DOORS: dict[str, Any] = {
    "GET /api/search": lambda actor, client: client.get(
        "/api/search?q=alice_secret_total"
    ).content.decode(),
    "chat retrieval (#tag, tagged files, citations)": lambda actor, client: _retrieved(actor),
    "search_files tool": lambda actor, client: tool_run(
        user=actor, name="search_files", arguments={"query": "alice_secret_total"}
    ).text,
    "search_files tool, by tag": lambda actor, client: _search_by_tag(actor),
}


def _retrieved(actor: Any) -> str:
    from chat.context import context_build
    from chat.models import Message
    from chat.services import message_create

    chat = session_create(owner=actor)
    message = message_create(
        session=chat, role=Message.Role.USER, content=f"alice_secret_total #{SECRET_TAG}"
    )
    built = context_build(user=actor, session=chat, message=message)
    return built.openai_messages()[0]["content"] + repr(built.citation_list())


def _search_by_tag(actor: Any) -> str:
    from chatui.errors import InvalidToolArguments

    arguments = {"query": "alice_secret_total", "tag": SECRET_TAG}
    try:
        return tool_run(user=actor, name="search_files", arguments=arguments).text
    except InvalidToolArguments as exc:
        return exc.message


@on_s3mock
@pytest.mark.django_db(transaction=True)
def test_document_doors(s3_backend: Any, user: Any, other_user: Any) -> None:
    # given the owner's tagged PDF, carrying a tag, its text extracted by the worker
    from django.core.management import call_command

    from files.services import file_update, file_upload
    from files.tests.documents_factory import pdf_with_pages

    content = pdf_with_pages(["intro", f"month alice_secret_total 10 {SECRET_PASSAGE}"])
    report = file_upload(owner=user, content=content, filename=SECRET_NAME)
    file_update(file=report, tagged=True, tags={SECRET_TAG: "yes"})
    call_command("files_worker", batch=True, interval=0, verbosity=0)
    # then every reader shows it to the owner and to nobody else
    problems = []
    for door, read in DOCUMENT_DOORS.items():
        for actor, should_see in ((user, True), (other_user, False)):
            seen = read(actor, _logged_in(actor))
            if (SECRET_PASSAGE in seen) != should_see or (not should_see and SECRET_NAME in seen):
                problems.append(f"{door} as {actor.email}: {seen[:300]!r}")
    assert not problems, "\n".join(problems)


# --- Websocket --------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.django_db(transaction=True)
async def test_websocket_doors() -> None:
    from channels.db import database_sync_to_async

    from chat.tests.conftest import communicator, receive_until, session_cookie
    from chatui.models import User

    @database_sync_to_async
    def setup() -> tuple[str, str, str]:
        alice = User.objects.create_user(email="alice@example.com", password="pw-1-for-tests")
        bob = User.objects.create_user(email="bob@example.com", password="pw-1-for-tests")
        session = session_create(owner=alice, title=SECRET_TITLE)
        return session_cookie(alice), session_cookie(bob), str(session.pk)

    alice_cookie, bob_cookie, session_id = await setup()

    # anonymous: accepted, then closed with 4401
    anon = communicator(None)
    TRIED["anon"] += 1
    assert await anon.connect() == (True, None)
    assert await anon.receive_output() == {"type": "websocket.close", "code": 4401}
    await anon.disconnect()

    # another user naming alice's chat: not_found, and nothing of it
    for frame in (
        {"type": "load_session", "session_id": session_id},
        {"type": "chat", "session_id": session_id, "content": "hi", "file_ids": []},
        {"type": "attach_file", "session_id": session_id, "file_id": str(uuid.uuid4())},
        {"type": "stop", "session_id": session_id},
    ):
        bob = communicator(bob_cookie)
        TRIED["other"] += 1
        assert (await bob.connect())[0]
        try:
            await bob.send_json_to(frame)
            answer = await bob.receive_json_from(timeout=5)
            assert answer["type"] == "error" and answer["code"] == "not_found", (frame, answer)
            assert SECRET_TITLE not in str(answer)
        finally:
            await bob.disconnect()

    # the owner: the chat itself
    owner = communicator(alice_cookie)
    TRIED["owner"] += 1
    assert (await owner.connect())[0]
    try:
        await owner.send_json_to({"type": "load_session", "session_id": session_id})
        frames = await receive_until(owner, "session")
        assert frames[-1]["title"] == SECRET_TITLE
    finally:
        await owner.disconnect()


# --- s3mock JSON API -------------------------------------------------------------------------


def test_s3mock_json_api_doors(s3mock_server: Any) -> None:
    alice, bob = f"alice-{uuid.uuid4().hex[:6]}@example.com", "bob@example.com"
    content = base64.b64encode(SECRET_CONTENT).decode()
    with httpx.Client(base_url=s3mock_server.endpoint, timeout=10) as http:

        def call(actor: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
            headers = {"anon": {}, "other": {"Authorization": f"Bearer {bob}"}}.get(
                actor, {"Authorization": f"Bearer {alice}"}
            )
            return http.request(method, path, headers=headers, **kwargs)

        created = call(
            "owner", "POST", "/files", json={"filename": SECRET_NAME, "content_base64": content}
        )
        assert created.status_code == 201
        key = created.json()["key"]
        rows = {
            ("health", "GET"): ("/health", {}, (200, 200, 200)),
            ("files", "GET"): ("/files", {}, (401, 200, 200)),
            ("files", "POST"): (
                "/files",
                {"json": {"filename": "b.txt", "content_base64": ""}},
                (401, 201, 201),
            ),
            ("files/<key>", "GET"): (f"/files/{key}", {}, (401, 403, 200)),
            ("users/<email>/files/stats", "GET"): (
                f"/users/{alice}/files/stats",
                {},
                (401, 403, 200),
            ),
            ("files/<key>", "DELETE"): (f"/files/{key}", {}, (401, 403, 200)),  # last
        }
        assert set(rows) == S3MOCK_JSON_ROUTES
        problems = []
        for (_route, method), (path, kwargs, statuses) in rows.items():
            for actor, want in zip(("anon", "other", "owner"), statuses, strict=True):
                response = call(actor, method, path, **kwargs)
                TRIED[actor] += 1
                FOUND["server errors"] += response.status_code >= 500
                if response.status_code != want:
                    problems.append(f"{actor} {method} {path}: {response.status_code} != {want}")
                if actor != "owner" and any(s in response.text for s in SECRETS):
                    FOUND["leaks"] += 1
                    problems.append(f"{actor} {method} {path}: leaks alice's file")
        # a key that climbs out of bob's prefix names no file of alice's
        sneaky = f"/files/users/{bob}/../{alice}/{key.split('/', 2)[2]}"
        response = call("other", "GET", sneaky)
        TRIED["other"] += 1
        assert response.status_code in (403, 404) and "content_base64" not in response.text
    assert not problems, "\n".join(problems)


# --- Sharing states ------------------------------------------------------------------------

SHARING_ACTORS = ("owner", "recipient", "revoked", "stranger", "link", "expired")
# Who may read alice's CSV: the owner, a user it is shared with, a holder of a live link;
# not a user whose share was revoked, a stranger, or a holder of an expired link. Only
# the owner may change it. ``link`` and ``expired`` are anonymous browsers: the API is
# 401 for them, and their own link's pages are what they may open.
SHARING_DOORS: dict[tuple[str, str], tuple[int, ...]] = {
    ("api/files/{file}", "GET"): (200, 200, 404, 404, 401, 401),
    ("api/files/{file}/download", "GET"): (200, 200, 404, 404, 401, 401),
    ("api/files/{file}/text", "GET"): (200, 200, 404, 404, 401, 401),
    # Search by content: the recipient finds the shared file, as the owner does; the
    # revoked recipient and the stranger get an empty answer (no count, no snippet).
    ("api/search?q=alice_secret_total", "GET"): (200, 200, 200, 200, 401, 401),
    ("api/search?q=alice_secret_total&shared=with_me", "GET"): (200, 200, 200, 200, 401, 401),
    ("api/files/zip?ids={file}", "GET"): (200, 200, 404, 404, 401, 401),
    ("api/tools/csv_summary/run", "POST"): (200, 200, 404, 404, 401, 401),
    ("api/tools/plot_csv/columns?file={file}", "GET"): (200, 200, 404, 404, 401, 401),
    ("api/files?shared=with_me", "GET"): (200, 200, 200, 200, 401, 401),
    ("api/files/{file}", "PATCH"): (200, 404, 404, 404, 401, 401),
    ("api/files/{file}/links", "POST"): (201, 404, 404, 404, 401, 401),
    ("api/files/{file}/shares", "POST"): (201, 404, 404, 404, 401, 401),
    ("s/{token}", "GET"): (410, 410, 410, 410, 200, 410),
    ("s/{token}/download", "GET"): (410, 410, 410, 410, 200, 410),
    ("api/files/{file}", "DELETE"): (204, 404, 404, 404, 401, 401),  # last
}
READERS = {"owner", "recipient", "link"}
# What a reader's answer must show, so that the others' empty answers mean something.
SHOWN = {
    ("api/search?q=alice_secret_total", "owner"): SECRET_NAME,
    ("api/search?q=alice_secret_total", "recipient"): SECRET_NAME,
    ("api/search?q=alice_secret_total&shared=with_me", "recipient"): SECRET_NAME,
}


@on_s3mock
def test_sharing_states(
    s3_backend: Any, user: Any, other_user: Any, make_user: Any, make_stored_file: Any, settings
) -> None:
    from django.utils import timezone

    from files.sharing.services import share_create_for_file, share_revoke

    # given alice's CSV (its text indexed) shared with bob, once shared with and revoked
    # from carol, and two links to it: one live, one that has expired
    carol, dave = make_user(CAROL), make_user("dave@example.com")
    file = make_stored_file(content=SECRET_CONTENT, filename=SECRET_NAME)
    assert text_extraction_run(file_id=str(file.pk)) == "ready"
    share_create_for_file(file=file, email=other_user.email)
    share_revoke(share=share_create_for_file(file=file, email=CAROL))
    live = link_create(file=file, expires_in=None)
    expired = link_create(file=file, expires_in=3600)
    type(expired.link).objects.filter(pk=expired.link.pk).update(expires_at=timezone.now())
    clients = {
        "owner": _logged_in(user),
        "recipient": _logged_in(other_user),
        "revoked": _logged_in(carol),
        "stranger": _logged_in(dave),
        "link": Client(),
        "expired": Client(),
    }
    # the user actors hold no token: they try one of the same shape
    tokens = {"link": live.token, "expired": expired.token}
    guessed = "A" * len(live.token)
    problems: list[str] = []
    for (route, method), statuses in SHARING_DOORS.items():
        for actor, want in zip(SHARING_ACTORS, statuses, strict=True):
            url = "/" + route.format(file=file.pk, token=tokens.get(actor, guessed))
            body = {
                "api/tools/csv_summary/run": {"file_id": str(file.pk)},
                "api/files/{file}/links": {"expires_in": 3600},
                "api/files/{file}/shares": {"email": CAROL},
                "api/files/{file}": {"tags": {"k": "v"}},
            }.get(route)
            response = _request(clients[actor], method, url, body)
            text = _body_text(response)
            if response.status_code != want:
                problems.append(f"{actor} {method} {url}: got {response.status_code}, want {want}")
            if actor not in READERS and any(secret in text for secret in SECRETS):
                problems.append(f"{actor} {method} {url}: leaks alice's file")
            if SHOWN.get((route, actor), "") not in text:
                problems.append(f"{actor} {method} {url}: does not find alice's file")
    assert not problems, "\n".join(problems)


# --- Methods no row lists ---------------------------------------------------------------------

REFUSED = {401, 403, 404, 405, 410, LOGIN, ADMIN_LOGIN}  # 410: a revoked or expired link


@on_s3mock
def test_methods_no_row_lists_are_refused(world: World, s3_backend: Any) -> None:
    """A route answers only the methods its rows list: any other (a plain Django view's
    methods cannot be read off it, so they are tried) is refused, for every actor."""
    listed: dict[str, set[str]] = {}
    for route, method in ROUTES:
        listed.setdefault(route, set()).add(method)
    problems = []
    for route, methods in sorted(listed.items()):
        if route.startswith(("admin/", "accounts/")):
            continue  # Django's own admin and auth views, as Django ships them
        url = _url(route, world.values)
        for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - methods):
            for actor in ACTORS:
                response = _request(world.clients[actor], method, url, None)
                TRIED[actor] += 1
                if _outcome(response) not in REFUSED:
                    FOUND["server errors"] += response.status_code >= 500
                    problems.append(f"{actor} {method} {url}: {response.status_code}")
    assert not problems, "\n".join(problems)
