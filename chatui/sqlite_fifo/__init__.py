"""SQLite with the process's writers queued in order (see ``base``)."""
