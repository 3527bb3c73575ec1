"""Bucket CORS: Put/Get/DeleteBucketCors, the preflight ``OPTIONS`` request, and the
``Access-Control-*`` headers a matching rule adds to actual requests, as S3 decides them
(the first rule whose origin, method and requested headers all match)."""

from __future__ import annotations

import fnmatch
from typing import Any

from . import xmlio
from .errors import S3Error
from .http import Response, S3Request
from .s3context import Ctx, empty, xml_response
from .store import Store

METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD")
MAX_RULES = 100


async def put_bucket_cors(ctx: Ctx) -> Response:
    root = await ctx.xml_body()
    if root.tag != "CORSConfiguration":
        raise S3Error("MalformedXML", "The XML you provided was not well-formed.")
    rules = [_rule(node) for node in root.findall("CORSRule")]
    if not 1 <= len(rules) <= MAX_RULES:
        raise S3Error("MalformedXML", f"A CORS configuration has 1 to {MAX_RULES} rules.")
    ctx.store.set_bucket_setting(ctx.bucket, "cors", rules)
    return empty(200)


def _rule(node: Any) -> dict[str, Any]:
    def texts(name: str) -> list[str]:
        return [(child.text or "").strip() for child in node.findall(name)]

    rule = {
        "id": xmlio.child_text(node, "ID"),
        "origins": texts("AllowedOrigin"),
        "methods": texts("AllowedMethod"),
        "headers": texts("AllowedHeader"),
        "expose": texts("ExposeHeader"),
        "max_age": xmlio.child_text(node, "MaxAgeSeconds"),
    }
    if not rule["origins"] or not rule["methods"]:
        raise S3Error("MalformedXML", "A CORSRule needs an AllowedOrigin and an AllowedMethod.")
    unsupported = [m for m in rule["methods"] if m not in METHODS]
    if unsupported:
        raise S3Error(
            "InvalidRequest",
            f"Found unsupported HTTP method in CORS config. Unsupported method is {unsupported[0]}",
        )
    return rule


async def get_bucket_cors(ctx: Ctx) -> Response:
    rules = ctx.store.bucket_setting(ctx.bucket, "cors")
    if not rules:
        raise S3Error(
            "NoSuchCORSConfiguration",
            "The CORS configuration does not exist",
            BucketName=ctx.bucket,
        )
    body = "".join(f"<CORSRule>{_rule_xml(rule)}</CORSRule>" for rule in rules)
    return xml_response("CORSConfiguration", body)


def _rule_xml(rule: dict[str, Any]) -> str:
    fields: list[tuple[str, object]] = [("ID", rule["id"])]
    fields += [("AllowedOrigin", o) for o in rule["origins"]]
    fields += [("AllowedMethod", m) for m in rule["methods"]]
    fields += [("AllowedHeader", h) for h in rule["headers"]]
    fields += [("ExposeHeader", h) for h in rule["expose"]]
    fields.append(("MaxAgeSeconds", rule["max_age"]))
    return xmlio.elements(fields)


async def delete_bucket_cors(ctx: Ctx) -> Response:
    ctx.store.set_bucket_setting(ctx.bucket, "cors", None)
    return empty(204)


def preflight(request: S3Request, store: Store, bucket: str) -> Response:
    """Answer a browser's preflight ``OPTIONS`` (no signature, as on S3)."""
    origin = request.headers.get("origin")
    method = request.headers.get("access-control-request-method")
    if not origin or not method:
        raise S3Error(
            "BadRequest",
            "Insufficient information. Origin and Access-Control-Request-Method are needed.",
        )
    store.head_bucket(bucket)
    rules = store.bucket_setting(bucket, "cors")
    if not rules:
        raise S3Error("AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.")
    asked = [
        h.strip() for h in request.headers.get("access-control-request-headers", "").split(",")
    ]
    asked = [h for h in asked if h]
    rule = match(rules, origin, method, asked)
    if rule is None:
        raise S3Error(
            "AccessForbidden",
            "CORSResponse: This CORS request is not allowed. This is usually because the "
            "evalution of Origin, request method / Access-Control-Request-Method or "
            "Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
        )
    headers = allow_headers(rule, origin)
    headers.append(("Access-Control-Allow-Methods", ", ".join(rule["methods"])))
    if asked:
        headers.append(("Access-Control-Allow-Headers", ", ".join(asked)))
    if rule["max_age"]:
        headers.append(("Access-Control-Max-Age", rule["max_age"]))
    return empty(200, headers)


def match(
    rules: list[dict[str, Any]], origin: str, method: str, asked: list[str] = ()
) -> dict[str, Any] | None:
    for rule in rules:
        if method not in rule["methods"]:
            continue
        if not any(_matches(pattern, origin) for pattern in rule["origins"]):
            continue
        if all(any(_matches(p.lower(), h.lower()) for p in rule["headers"]) for h in asked):
            return rule
    return None


def _matches(pattern: str, value: str) -> bool:
    return pattern == "*" or fnmatch.fnmatchcase(value, pattern)


def allow_headers(rule: dict[str, Any], origin: str) -> list[tuple[str, str]]:
    """The headers a matching rule adds (preflight and actual requests)."""
    wildcard = rule["origins"] == ["*"]
    headers = [
        ("Access-Control-Allow-Origin", "*" if wildcard else origin),
        ("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"),
    ]
    if not wildcard:
        headers.append(("Access-Control-Allow-Credentials", "true"))
    if rule["expose"]:
        headers.append(("Access-Control-Expose-Headers", ", ".join(rule["expose"])))
    return headers


def actual_request_headers(request: S3Request, store: Store, bucket: str) -> list[tuple[str, str]]:
    """CORS headers for a request that carries ``Origin`` (none when no rule matches)."""
    origin = request.headers.get("origin")
    if not origin or not bucket:
        return []
    try:
        rules = store.bucket_setting(bucket, "cors")
    except S3Error:
        return []
    rule = match(rules or [], origin, request.method)
    return allow_headers(rule, origin) if rule is not None else []
