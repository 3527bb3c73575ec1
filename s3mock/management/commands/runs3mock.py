"""``manage.py runs3mock``: serve the S3-compatible endpoint on a local port."""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from s3mock.app import create_app
from s3mock.auth import parse_credentials
from s3mock.hosts import parse_allowed_hosts

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class Command(BaseCommand):
    # The endpoint needs none of the project's checks (models, URLs, templates);
    # skipping them makes start-up, and every test that restarts it, faster.
    requires_system_checks: list[str] = []
    help = (
        "Serve the s3mock S3-compatible endpoint (path-style S3 REST with SigV4, plus the "
        "JSON API) with its data on local disk. Listens on loopback unless --allow-remote."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=getattr(settings, "S3MOCK_HOST", "127.0.0.1"))
        parser.add_argument(
            "--port",
            type=int,
            default=getattr(settings, "S3MOCK_PORT", 8003),
            help="0 picks a free port (printed on start).",
        )
        parser.add_argument("--data-dir", type=Path, default=None)
        parser.add_argument(
            "--allow-remote",
            action="store_true",
            help="Allow listening on a non-loopback address (anyone who can reach it and "
            "knows a credential can read and write the data).",
        )
        parser.add_argument(
            "--credentials",
            default=None,
            help="ACCESS:SECRET[,ACCESS2:SECRET2] (default: settings.S3MOCK_CREDENTIALS).",
        )
        parser.add_argument("--region", default=None, help="default: settings.S3_REGION")
        parser.add_argument(
            "--bucket", default=None, help="bucket created at start (default: settings.S3_BUCKET)"
        )
        parser.add_argument(
            "--allowed-hosts",
            default=None,
            help="Host names served besides loopback, comma-separated; '.example.com' also "
            "allows subdomains (default: $S3MOCK_ALLOWED_HOSTS).",
        )

    def handle(self, *args: object, **options: object) -> None:
        host = str(options["host"])
        if not options["allow_remote"] and not is_loopback(host):
            raise CommandError(
                f"Refusing to listen on {host!r}: s3mock is a development endpoint. Use "
                "--host 127.0.0.1 (the default), or pass --allow-remote if you really want "
                "other machines to reach it."
            )
        credentials = self._credentials(options["credentials"])
        if not is_loopback(host) and _has_development_credentials(credentials):
            raise CommandError(
                "Refusing to serve other machines with the development credentials (they are "
                "public): set S3MOCK_CREDENTIALS (or --credentials) to a pair of your own."
            )
        app = create_app(
            data_dir=Path(options["data_dir"] or settings.S3MOCK_DATA_DIR),
            credentials=credentials,
            region=str(options["region"] or settings.S3_REGION),
            json_bucket=str(options["bucket"] or settings.S3_BUCKET),
            allowed_hosts=parse_allowed_hosts(_allowed_hosts_spec(options["allowed_hosts"])),
        )
        sock = self._bind(host, int(options["port"]))
        bound_host, bound_port = sock.getsockname()[:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        self.stdout.write(
            f"s3mock listening on http://{shown}:{bound_port} (data in {app.store.root})"
        )
        self.stdout.flush()
        serve(app, sock)
        self.stdout.write("s3mock stopped")

    def _credentials(self, override: object) -> dict[str, str]:
        spec = str(override if override is not None else settings.S3MOCK_CREDENTIALS)
        try:
            return parse_credentials(spec)
        except ValueError as exc:
            raise CommandError(str(exc)) from None

    def _bind(self, host: str, port: int) -> socket.socket:
        try:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            sock.listen(2048)  # connections queue until uvicorn serves
        except OSError as exc:
            raise CommandError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        sock.set_inheritable(True)
        return sock


def _allowed_hosts_spec(override: object) -> str:
    if override is not None:
        return str(override)
    return str(
        getattr(settings, "S3MOCK_ALLOWED_HOSTS", os.environ.get("S3MOCK_ALLOWED_HOSTS", ""))
    )


def _has_development_credentials(credentials: dict[str, str]) -> bool:
    dev_secret = getattr(settings, "DEV_S3_SECRET_KEY", "chatui-dev-secret")
    return dev_secret in credentials.values()


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(app: object, sock: socket.socket) -> None:
    """Run uvicorn on an already-bound socket until SIGINT/SIGTERM, then return.

    uvloop + httptools, one worker, no access log: the fastest uvicorn setup for
    many small requests. uvicorn finishes in-flight requests on a signal and then
    re-raises it to the handler it found; installing a quiet one first turns that
    into a normal return (exit status 0, no KeyboardInterrupt traceback).
    """
    import uvicorn

    config = uvicorn.Config(
        app,
        loop="uvloop",
        http="httptools",
        lifespan="off",
        access_log=False,
        log_level="warning",
        server_header=False,
        timeout_keep_alive=30,
    )
    previous = {sig: signal.signal(sig, _ignore) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _ignore(signum: int, frame: object) -> None:
    """Receives the stop signal uvicorn re-raises after its graceful shutdown."""
