"""The files HTTP API: views (``files``), the metadata shape (``serializers``) and
the one way a file's bytes are answered (``downloads``)."""
