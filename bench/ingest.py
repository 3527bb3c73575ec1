"""Benchmark the document pipeline: extraction speed, upload-to-ready, search latency,
and the worker's memory while a long PDF is ingested.

    .venv/bin/python bench/ingest.py [--database sqlite|postgres|both] [--chunks 100000]

Starts, in a temporary directory (never the developer's var/), a live s3mock and a
fresh database (SQLite, or a temporary PostgreSQL database on 127.0.0.1:5432), then:

1. pages per second for text PDFs, DOCX and OCR'd images, each through the production
   extraction path (the sandboxed child, ``run_in_child(extract_file, ...)``);
2. upload -> ``ready`` for a 13-page text PDF and a DOCX: ``file_upload`` here, a real
   idle ``manage.py files_worker`` process picks the job up (target <= 1 s);
3. the worker's RSS (itself and its extraction child, sampled at 20 Hz) while it ingests
   a 30-page and a 300-page PDF (target: flat in page count);
4. ``search_chunks`` p50/p99 over ``--chunks`` chunks of one user's files (target: p50 <
   20 ms, p99 < 100 ms), on each database asked for; then the same queries by a second
   user who owns nothing and to whom the first shares a tenth of the files by a tag
   (search covers files shared with the user: the owners' chunks narrowed to those).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from bench.harness import ACCESS, BUCKET, SECRET, environment  # noqa: E402

VOCABULARY = [f"w{n}" for n in range(5000)]
SEARCH_QUERIES = 300
WORDS_PER_PAGE = 350


def _page_text(seed: int) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(VOCABULARY) for _ in range(WORDS_PER_PAGE))


def text_pdf(pages: int) -> bytes:
    from files.tests.documents_factory import pdf_with_pages

    return pdf_with_pages(["\n".join(_wrap(_page_text(n))) for n in range(pages)])


def _wrap(text: str, width: int = 90) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if len(line) + len(word) > width:
            lines.append(line)
            line = ""
        line += word + " "
    return [*lines, line]


def _docx(pages: int) -> bytes:
    import io

    import docx

    document = docx.Document()
    for n in range(pages):
        document.add_paragraph(_page_text(n))
        document.add_page_break()
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _timed_extract(name: str, content: bytes) -> float:
    """Seconds for one extraction through the production child runner."""
    from django.conf import settings

    from chatui.sandbox import ChildLimits, run_in_child
    from files.documents.extract import extract_file
    from files.documents.jobs import extract_limits
    from files.documents.limits import ExtractionFailed

    limits = ChildLimits(timeout_s=600, max_memory_bytes=settings.DOCUMENTS_EXTRACT_MEMORY_MB << 20)
    with tempfile.NamedTemporaryFile(suffix=name) as local:
        local.write(content)
        local.flush()
        started = time.perf_counter()
        run_in_child(
            extract_file,
            (local.name, name, extract_limits()),
            limits,
            name="bench",
            expected=(ExtractionFailed,),
        )
        return time.perf_counter() - started


def bench_extraction() -> None:
    from files.tests.documents_factory import png_of_text

    print("\n1. extraction, pages per second (sandboxed child, best of 3)")
    cases = [
        ("text PDF", "doc.pdf", text_pdf(50), 50),
        ("DOCX", "doc.docx", _docx(50), 50),
        ("OCR'd PNG", "scan.png", png_of_text("Quarterly report page wombat 4711"), 1),
    ]
    for label, name, content, pages in cases:
        seconds = min(_timed_extract(name, content) for _ in range(3))
        print(f"   {label:<10} {pages:>3} pages  {seconds:6.3f} s  {pages / seconds:8.1f} pages/s")


@contextlib.contextmanager
def _worker(env: dict[str, str], workdir: Path) -> Iterator[subprocess.Popen[bytes]]:
    log = open(workdir / "worker.log", "wb")  # noqa: SIM115 (closed below)
    command = [sys.executable, "manage.py", "files_worker"]
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=log)
    try:
        time.sleep(2.0)  # started, forkserver warm after the first job
        yield process
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


def _upload_until_ready(owner: Any, name: str, content: bytes, timeout: float = 120) -> float:
    from files.models import StoredFile
    from files.services import file_upload

    started = time.perf_counter()
    file = file_upload(owner=owner, content=content, filename=name)
    while time.perf_counter() - started < timeout:
        status = StoredFile.objects.filter(pk=file.pk).values_list("text_status", flat=True)[0]
        if status != "processing":
            if status != "ready":
                raise SystemExit(f"{name} ended {status}")
            return time.perf_counter() - started
        time.sleep(0.01)
    raise SystemExit(f"{name} not ready after {timeout} s")


def bench_upload_to_ready(owner: Any) -> None:
    print("\n2. upload -> ready with an idle worker (target <= 1 s), 5 runs each")
    _upload_until_ready(owner, "warmup.pdf", text_pdf(1))
    for label, name, content in (
        ("13-page text PDF", "report.pdf", text_pdf(13)),
        ("DOCX (13 pages)", "memo.docx", _docx(13)),
    ):
        runs = []
        for _ in range(5):
            time.sleep(0.6)  # the worker is idle again, mid-poll
            runs.append(_upload_until_ready(owner, name, content))
        print(
            f"   {label:<17} p50 {statistics.median(runs):.2f} s  max {max(runs):.2f} s  "
            f"({', '.join(f'{r:.2f}' for r in runs)})"
        )


def _sample_rss(pid: int, stop: threading.Event, peaks: dict[str, int]) -> None:
    import psutil

    worker = psutil.Process(pid)
    while not stop.is_set():
        with contextlib.suppress(psutil.Error):
            peaks["worker"] = max(peaks["worker"], worker.memory_info().rss)
            for child in worker.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    peaks["child"] = max(peaks["child"], child.memory_info().rss)
        time.sleep(0.05)


def bench_memory(owner: Any, worker: subprocess.Popen[bytes]) -> None:
    print("\n3. peak RSS while ingesting (target: flat in page count)")
    for pages in (30, 300):
        content = text_pdf(pages)
        peaks = {"worker": 0, "child": 0}
        stop = threading.Event()
        sampler = threading.Thread(target=_sample_rss, args=(worker.pid, stop, peaks))
        sampler.start()
        seconds = _upload_until_ready(owner, f"long{pages}.pdf", content, timeout=600)
        stop.set()
        sampler.join()
        print(
            f"   {pages:>3}-page PDF ({len(content) >> 10} KiB): ready in {seconds:5.1f} s; "
            f"worker {peaks['worker'] >> 20} MiB, largest child {peaks['child'] >> 20} MiB"
        )


def _seed_chunks(owner: Any, total: int) -> None:
    """``total`` chunks of synthetic text over 1,000 files of ``owner`` (rows only)."""
    from files.documents.models import TextChunk
    from files.models import StoredFile

    files = StoredFile.objects.bulk_create(
        StoredFile(
            owner=owner,
            key=f"users/{owner.email}/uploads/bench_{n:06d}.txt",
            filename=f"bench_{n}.txt",
            text_status="ready",
        )
        for n in range(1000)
    )
    per_file = max(total // len(files), 1)
    batch = []
    for index in range(total):
        file = files[index // per_file % len(files)]
        batch.append(
            TextChunk(
                file=file,
                owner=owner,
                page=index % per_file + 1,
                offset=0,
                text=_page_text(index),
                searchable=True,  # version 1 of a file not in the trash
            )
        )
        if len(batch) == 5000:
            TextChunk.objects.bulk_create(batch)
            batch = []
    TextChunk.objects.bulk_create(batch)


def bench_search(owner: Any, total: int, label: str) -> None:
    from django.db import connection

    from files.documents.search import search_chunks

    started = time.perf_counter()
    _seed_chunks(owner, total)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE files_textchunk")
    print(
        f"\n4. search over {total:,} chunks of one user ({label}; seeded in "
        f"{time.perf_counter() - started:.0f} s), {SEARCH_QUERIES} queries"
    )
    _search_timings(search_chunks, owner, "")
    reader = _tag_share_a_tenth(owner)
    _search_timings(search_chunks, reader, " (a reader of a tag-shared tenth)")


def _search_timings(search_chunks: Any, user: Any, who: str) -> None:
    rng = random.Random(7)
    for words in (1, 2):
        timings = []
        for _ in range(SEARCH_QUERIES):
            q = " ".join(rng.choice(VOCABULARY) for _ in range(words))
            started = time.perf_counter()
            search_chunks(user=user, q=q, page=1, page_size=20)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        p99 = timings[int(len(timings) * 0.99) - 1]
        median = statistics.median(timings)
        print(f"   {words}-word queries{who}: p50 {median:6.1f} ms  p99 {p99:6.1f} ms")


def _tag_share_a_tenth(owner: Any) -> Any:
    """A second user, owning nothing, to whom ``owner`` shares every tenth file by tag."""
    from chatui.models import User
    from files.models import StoredFile
    from files.sharing.services import share_create_for_tag

    files = StoredFile.objects.filter(owner=owner).order_by("pk")
    ids = list(files.values_list("pk", flat=True))[::10]
    StoredFile.objects.filter(pk__in=ids).update(tags={"bench": "shared"})
    reader = User.objects.create_user("reader@example.com", None)
    share_create_for_tag(owner=owner, tag="bench", email=reader.email)
    return reader


def run(database: str, options: argparse.Namespace) -> None:
    from s3mock.testing import S3MockProcess

    with (
        tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        workdir = Path(tmp)
        if database == "postgres":
            from chatui.testing import scaleout

            dbname = stack.enter_context(scaleout.temporary_database("chatui_bench_ingest"))
            database_url = scaleout.database_url(dbname)
        else:
            database_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        server = stack.enter_context(
            S3MockProcess(workdir / "s3mock", credentials=f"{ACCESS}:{SECRET}", bucket=BUCKET)
        )
        env = environment(workdir, server.endpoint_url, database_url=database_url)
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command

        from chatui.models import User

        call_command("migrate", verbosity=0)
        print(f"== {database}")
        if not options.skip_ingest:
            owner = User.objects.create_user("ingest@example.com", None)
            bench_extraction()
            with _worker(env, workdir) as worker:
                bench_upload_to_ready(owner)
                bench_memory(owner, worker)
        bench_search(User.objects.create_user("search@example.com", None), options.chunks, database)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--skip-ingest", action="store_true", help="only the search benchmark")
    options = parser.parse_args()
    databases = ["sqlite", "postgres"] if options.database == "both" else [options.database]
    if len(databases) > 1:  # Django is set up once per process: one database per process
        for database in databases:
            args = [
                sys.executable,
                __file__,
                "--database",
                database,
                "--chunks",
                str(options.chunks),
            ]
            if options.skip_ingest or database == "postgres":
                args.append("--skip-ingest")
            subprocess.run(args, check=True)
        return
    run(databases[0], options)


if __name__ == "__main__":
    main()
