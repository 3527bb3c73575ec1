"""S3 error codes with the HTTP status the Amazon S3 API reference gives each.

Every handler raises :class:`S3Error`; the ASGI app renders it as the XML
``<Error>`` document S3 clients (boto3, the AWS CLI) parse.
"""

from __future__ import annotations

STATUS_BY_CODE: dict[str, int] = {
    "AccessDenied": 403,
    "AccessForbidden": 403,
    "BadRequest": 400,
    "AuthorizationHeaderMalformed": 400,
    "AuthorizationQueryParametersError": 400,
    "BadDigest": 400,
    "BucketAlreadyExists": 409,
    "BucketAlreadyOwnedByYou": 409,
    "BucketNotEmpty": 409,
    "ConditionalRequestConflict": 409,
    "EntityTooLarge": 400,
    "EntityTooSmall": 400,
    "IncompleteBody": 400,
    "InternalError": 500,
    "InvalidAccessKeyId": 403,
    "InvalidArgument": 400,
    "InvalidBucketName": 400,
    "InvalidDigest": 400,
    "InvalidPart": 400,
    "InvalidPartNumber": 416,
    "InvalidPolicyDocument": 400,
    "InvalidPartOrder": 400,
    "InvalidRange": 416,
    "InvalidRequest": 400,
    "KeyTooLongError": 400,
    "MalformedACLError": 400,
    "MalformedXML": 400,
    "MaxMessageLengthExceeded": 400,
    "MethodNotAllowed": 405,
    "MissingContentLength": 411,
    "NoSuchBucket": 404,
    "NoSuchCORSConfiguration": 404,
    "NoSuchKey": 404,
    "NoSuchTagSet": 404,
    "NoSuchUpload": 404,
    "NoSuchVersion": 404,
    "NotImplemented": 501,
    "PreconditionFailed": 412,
    "RequestTimeTooSkewed": 403,
    "SignatureDoesNotMatch": 403,
    "XAmzContentSHA256Mismatch": 400,
}


class S3Error(Exception):
    """A failure to report to the client as an S3 ``<Error>`` document."""

    def __init__(self, code: str, message: str = "", *, resource: str = "", **extra: str):
        super().__init__(message or code)
        self.code = code
        self.message = message or code
        self.status = STATUS_BY_CODE.get(code, 400)
        self.resource = resource
        self.extra = extra  # extra child elements, e.g. BucketName, Key, UploadId
        self.headers: list[tuple[str, str]] = []  # e.g. x-amz-delete-marker on a 404


def no_such_key(key: str) -> S3Error:
    return S3Error("NoSuchKey", "The specified key does not exist.", Key=key)
