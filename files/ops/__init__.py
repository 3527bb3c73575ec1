"""Operations on the whole store, for commands and the admin: reconcile the bucket
with the database, purge by retention, export, the storage overview, integrity checks
and the demo data."""
