"""The canned ACLs s3mock implements and what each grants to callers other than the
bucket's owner (who may always do everything)."""

from __future__ import annotations

CANNED = ("private", "public-read", "public-read-write", "authenticated-read")
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
GROUP_GRANTS: dict[str, tuple[tuple[str, str], ...]] = {
    "private": (),
    "public-read": ((ALL_USERS, "READ"),),
    "public-read-write": ((ALL_USERS, "READ"), (ALL_USERS, "WRITE")),
    "authenticated-read": ((AUTHENTICATED_USERS, "READ"),),
}


def allows(acl: str, permission: str, *, anonymous: bool) -> bool:
    """Whether a canned ACL grants ``permission`` (READ or WRITE) to a non-owner; on a
    bucket READ lists it and WRITE writes and deletes its objects, on an object READ
    reads it."""
    for group, granted in GROUP_GRANTS.get(acl, ()):
        if granted == permission and (group == ALL_USERS or not anonymous):
            return True
    return False
