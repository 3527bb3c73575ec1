"""Schema-driven fuzzing of the REST API (schemathesis) from its own OpenAPI schema.

Every operation in ``/api/schema/`` gets generated requests, valid and not, sent
through Django's WSGI handler with a real token, against a live s3mock. The one
property checked everywhere: no server error (5xx) — bad input is a typed 4xx.
``test_every_api_route_is_in_the_schema`` keeps "every operation" meaning every
``/api/`` route and method of the URL conf: a new API view missing from the schema
(so never fuzzed) fails it. The number of cases tried is printed when the session ends.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
REAL_IDS: dict[str, str] = {}  # path parameter -> an id of the signed-in user's own object
REAL_QUERY = {"ids": "file_id", "file": "file_id", "session": "session_id"}  # -> REAL_IDS
NOT_FUZZED = {"api/schema/", "api/docs/"}  # they describe the API; the access matrix has them
CASES: Counter[str] = Counter()  # operation -> cases sent
STATUSES: Counter[int] = Counter()  # status class (2, 4, 5) -> cases
HOSTILE_CASES: Counter[str] = Counter()  # method -> requests of the hostile-value sweep


@schema.hook
def map_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    """Half the generated ids become the user's real file, chat or email, so requests
    reach the code past the lookup (chosen by the generated value: deterministic)."""
    if not path_parameters:
        return path_parameters
    return {
        name: REAL_IDS[name] if name in REAL_IDS and len(str(value)) % 2 == 0 else value
        for name, value in path_parameters.items()
    }


@schema.hook
def map_query(context: Any, query: dict[str, Any] | None) -> Any:
    """The same for query parameters naming a file or chat (``/api/files/zip?ids=``, a
    tool's ``columns?file=``, ``/api/files?session=``)."""
    if not query:
        return query
    for name, real in REAL_QUERY.items():
        value = query.get(name)
        if real in REAL_IDS and value is not None and len(str(value)) % 2 == 0:
            query[name] = [REAL_IDS[real]] if isinstance(value, list) else REAL_IDS[real]
    return query


def _api_routes(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _api_routes(pattern.url_patterns, route)
        elif route.startswith("api/") and route not in NOT_FUZZED:
            yield route, pattern


def test_every_api_route_is_in_the_schema() -> None:
    operations = {
        (operation.path, operation.method.upper())
        for operation in (result.ok() for result in schema.get_all_operations())
    }
    missing = []
    for route, pattern in _api_routes(get_resolver().url_patterns):
        path = "/" + route.replace("<str:", "{").replace("<path:", "{").replace(">", "}")
        view = getattr(pattern.callback, "cls", None)
        if view is None:  # a plain Django view under /api/: not in the schema, not fuzzed
            missing.append(f"{path} (not a DRF view)")
            continue
        for method in ("get", "post", "put", "patch", "delete"):
            if hasattr(view, method) and (path, method.upper()) not in operations:
                missing.append(f"{method.upper()} {path}")
    assert not missing, f"API routes the schema (and so the fuzzer) does not cover: {missing}"


def test_the_schema_generates_without_warnings(tmp_path: Any) -> None:
    """A view drf-spectacular cannot read (no serializer, colliding component names) is
    in the schema with no parameters or a wrong body, and is fuzzed as such: refuse it."""
    from django.core.management import call_command

    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(tmp_path / "s.yml"))


@pytest.fixture(scope="session", autouse=True)  # once, whatever order tests run in
def cases_summary(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    statuses = ", ".join(f"{klass}xx {STATUSES[klass]}" for klass in sorted(STATUSES))
    line = (
        f"schema fuzz: {sum(CASES.values())} generated cases over {len(CASES)} operations and "
        f"{sum(HOSTILE_CASES.values())} hostile parameter values ({statuses}); "
        f"{STATUSES[5]} server errors"
    )
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\n{line}")


@pytest.fixture(autouse=True)
def keep_the_test_connection() -> Iterator[None]:
    """schemathesis calls Django's WSGI handler directly, whose request signals close the
    database connection; on PostgreSQL that ended the test's transaction (every later
    query: ``database_unavailable``). Django's test client disconnects them the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_storage(s3mock_server: Any, settings: Any) -> Iterator[None]:
    """The session's live s3mock with a bucket of this test's own (not parametrized)."""
    from files import storage

    settings.S3_ENDPOINT = s3mock_server.endpoint
    settings.S3_ACCESS_KEY = s3mock_server.access_key
    settings.S3_SECRET_KEY = s3mock_server.secret_key
    settings.S3_BUCKET = f"fuzz-{uuid.uuid4().hex[:12]}"
    settings.S3_AUTO_CREATE_BUCKET = True
    storage.ensure_bucket()
    yield
    storage.reset_storage()


@pytest.fixture
def token(
    db: None, fuzz_storage: None, make_stored_file: Any, make_user: Any, user: Any
) -> Iterator[str]:
    from chat.services import session_create
    from files.sharing.services import link_create, share_create_for_file

    session = session_create(owner=user, title="fuzzed")
    file = make_stored_file(content=b"a,b\n1,2\n", filename="t.csv", session_id=session.id)
    link = link_create(file=file, expires_in=None).link
    share = share_create_for_file(file=file, email=make_user("fuzz-peer@example.com").email)
    REAL_IDS.update(
        file_id=str(file.pk),
        session_id=str(session.pk),
        email=user.email,
        name="csv_summary",
        link_id=str(link.pk),
        share_id=str(share.pk),
        tag="project",
    )
    yield Token.objects.get_or_create(user=user)[0].key
    REAL_IDS.clear()


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors(case: Any, token: str) -> None:
    response = case.call(headers={"Authorization": f"Token {token}"})
    CASES[case.operation.label] += 1
    STATUSES[response.status_code // 100] += 1

    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}\n"
        f"{case.as_curl_command()}"
    )


# Values that broke (or could break) a parameter somewhere: NUL (PostgreSQL refuses it
# in text: GET /api/chats?q=%00 was a 500 there), bytes that are not UTF-8, a bidi
# override, quotes, a catastrophic regex, numbers far out of range, a very long value.
HOSTILE_VALUES = (
    "a%00b",
    "%ff%fe",
    "%E2%80%AEtxt.exe",
    "%27%22%3B--",
    "(a%7Ca)*b",
    "-1",
    "99999999999999999999999",
    "x" * 5000,
)


def _hostile_requests(raw_schema: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(method, URL) pairs: each path and query parameter of each operation given each
    hostile value in turn, the other path parameters being the user's real ids."""
    for path, operations in raw_schema["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            params = [*operations.get("parameters", []), *operation.get("parameters", [])]
            real = {p["name"]: REAL_IDS.get(p["name"], "x") for p in params if p["in"] == "path"}
            for param in params:
                if param["in"] not in ("path", "query"):
                    continue
                for value in HOSTILE_VALUES:
                    values = {**real, param["name"]: value} if param["in"] == "path" else real
                    url = path.format(**values)
                    if param["in"] == "query":
                        url += f"?{param['name']}={value}"
                    yield method.upper(), url


def test_hostile_values_in_every_parameter(token: str) -> None:
    """Deterministic, on top of the generated cases: every parameter the schema lists
    (a new route's included) gets each hostile value; never a 5xx. Run on PostgreSQL
    too (``make test-scaleout``), where NUL in text is an error the database raises."""
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Token {token}", raise_request_exception=False)
    raw_schema = client.get("/api/schema/?format=json").json()
    failures = []
    # DELETEs last: deleting the user's real file or chat would starve the other requests
    for method, url in sorted(_hostile_requests(raw_schema), key=lambda r: r[0] == "DELETE"):
        response = client.generic(method, url)
        HOSTILE_CASES[method] += 1
        STATUSES[response.status_code // 100] += 1
        if response.status_code >= 500:
            failures.append(f"{method} {url[:120]} -> {response.status_code}")
    assert sum(HOSTILE_CASES.values()) > 100, "the schema lists almost no parameters"
    assert not failures, "\n".join(failures)
