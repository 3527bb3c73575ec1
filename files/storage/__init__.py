"""The storage seam: the only package in chatui that knows S3 (boto3, django-storages).

Everything else calls the functions exported here with an object key and gets
bytes, :class:`BlobInfo` or a domain error back (``StorageUnavailable`` when the
endpoint cannot serve, :class:`BlobMissing` when the object is not there). Split by
concern:

* :mod:`.backend`: configuration (``S3_*`` settings -> :class:`ChatuiS3Storage`, a
  django-storages backend), the shared client, error translation, the bucket;
* :mod:`.objects`: one object's I/O: head, streamed read, presigned URL, delete;
* :mod:`.multipart`: the one write path, :class:`BlobWriter` (one PutObject for a
  small body, a streamed multipart upload for a large one) and :func:`put_bytes`;
* :mod:`.listing`: listings for ``files_reconcile`` and clean-up (objects, open
  multipart uploads, bulk delete, the endpoint's listing order).
"""

from .backend import (
    PRESIGN_SECONDS,
    BlobMissing,
    ChatuiS3Storage,
    bucket_exists,
    bucket_name,
    client,
    endpoint_description,
    ensure_bucket,
    get_storage,
    parse_s3_timestamp,
    reset_storage,
)
from .listing import (
    LISTING_ORDER_BYTES,
    LISTING_ORDER_SEGMENTS,
    ListedBlob,
    MultipartUploadInfo,
    abort_multipart_upload,
    delete_many,
    iter_blobs,
    iter_multipart_uploads,
    list_keys,
    listing_order,
)
from .multipart import (
    MULTIPART_CHUNK_BYTES,
    SINGLE_PUT_MAX_BYTES,
    BlobWriter,
    MultipartWriter,
    put_bytes,
)
from .objects import (
    BlobInfo,
    BlobStream,
    delete,
    delete_quietly,
    exists,
    head,
    open_stream,
    presigned_url,
)

__all__ = [
    "LISTING_ORDER_BYTES",
    "LISTING_ORDER_SEGMENTS",
    "MULTIPART_CHUNK_BYTES",
    "PRESIGN_SECONDS",
    "SINGLE_PUT_MAX_BYTES",
    "BlobInfo",
    "BlobMissing",
    "BlobStream",
    "BlobWriter",
    "ChatuiS3Storage",
    "ListedBlob",
    "MultipartUploadInfo",
    "MultipartWriter",
    "abort_multipart_upload",
    "bucket_exists",
    "bucket_name",
    "client",
    "delete",
    "delete_many",
    "delete_quietly",
    "endpoint_description",
    "ensure_bucket",
    "exists",
    "get_storage",
    "head",
    "iter_blobs",
    "iter_multipart_uploads",
    "list_keys",
    "listing_order",
    "open_stream",
    "parse_s3_timestamp",
    "presigned_url",
    "put_bytes",
    "reset_storage",
]
