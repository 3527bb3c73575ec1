"""Measuring a benchmark run: wall-clock medians and each process's CPU (a server's peak
RSS: ``s3mock.testing.PeakRss``)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


class CpuMeter:
    """CPU time (user + system) of the server, s3mock and this process (the client).

    Printed beside the ratios: on two cores a run through the API is bounded by the
    CPU all three processes spend, not only by the server's wall-clock time.
    """

    def __init__(self, pids: dict[str, int], records: dict | None = None) -> None:
        self.pids = pids
        # "row|side" -> (runs, process -> CPU seconds summed over those runs)
        self.records: dict[str, tuple[int, dict[str, float]]] = {} if records is None else records

    def for_server(self, pid: int) -> CpuMeter:
        """The same meter with another server process, adding to the same records."""
        return CpuMeter({**self.pids, "server": pid}, self.records)

    def timed(self, key: str, action: Callable[[], object]) -> float:
        """Wall seconds of ``action``; its processes' CPU is added under ``key``."""
        before = self._now()
        wall = seconds(action)
        runs, spent = self.records.get(key, (0, dict.fromkeys(before, 0.0)))
        after = self._now()
        self.records[key] = (runs + 1, {n: spent[n] + after[n] - before[n] for n in spent})
        return wall

    def mean(self, key: str) -> dict[str, float]:
        """CPU seconds per run under ``key``, per process."""
        runs, spent = self.records[key]
        return {name: total / runs for name, total in spent.items()}

    def report(self) -> None:
        """Mean CPU milliseconds per operation, per process, for each side of each row."""
        print("\nCPU per operation (user + system, mean of the measured runs):")
        for key in self.records:
            row, side = key.split("|")
            shares = "  ".join(f"{name} {s * 1000:7.1f} ms" for name, s in self.mean(key).items())
            print(f"  {row:18s} {side:6s} {shares}")

    def _now(self) -> dict[str, float]:
        return {name: process_cpu_seconds(pid) for name, pid in self.pids.items()}


def process_cpu_seconds(pid: int) -> float:
    """CPU time of a whole process, exited threads included, to the nanosecond.

    /proc's counters (psutil) tick every 10 ms, coarser than a 1 MiB run. Linux
    exposes each process's CPU clock as clock id ``(~pid << 3) | 2`` (what glibc's
    ``clock_getcpuclockid`` returns), readable for processes we may signal.
    """
    try:
        return time.clock_gettime(((~pid) << 3) | 2)
    except OSError:
        import psutil

        return sum(psutil.Process(pid).cpu_times()[:2])


def medians(
    api: Callable[[], object], direct: Callable[[], object], repeat: int, cpu: CpuMeter, row: str
) -> tuple[float, float]:
    """Median wall-clock seconds of each side, after one warm-up run of each; the runs
    are taken in turn, so load from elsewhere hits both alike."""
    api()
    direct()
    api_times, direct_times = [], []
    for _ in range(repeat):
        api_times.append(cpu.timed(f"{row}|api", api))
        direct_times.append(cpu.timed(f"{row}|direct", direct))
    return statistics.median(api_times), statistics.median(direct_times)
