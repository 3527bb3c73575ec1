"""The benchmarks' verdict (bench/report.py): a failed target must fail the run (exit 1)."""

from __future__ import annotations

from bench.report import REDIRECT_TARGET, ratio, report, verdict

HEADER = ("measure", "api", "direct / target", "result")


def test_a_ratio_below_target_fails_the_report(capsys) -> None:
    rows = [HEADER, ("upload 1 MiB", "49.3 MiB/s", "100.0 MiB/s", ratio(49.3, 100.0))]
    assert rows[1][3] == "0.49x FAIL"
    assert report(rows) is False
    assert "0.49x FAIL" in capsys.readouterr().out


def test_streamed_rows_have_a_half_floor_and_the_redirect_row_its_own_target() -> None:
    assert ratio(50.0, 100.0) == "0.50x PASS"
    assert ratio(84.0, 100.0, REDIRECT_TARGET) == "0.84x FAIL"
    assert ratio(85.0, 100.0, REDIRECT_TARGET) == "0.85x PASS"


def test_targets_met_pass_and_unjudged_rows_do_not_count() -> None:
    rows = [
        HEADER,
        ("download 1 MiB", "80.0 MiB/s", "100.0 MiB/s", ratio(80.0, 100.0)),
        ("server peak RSS above idle", "37 MiB", "< 100 MiB", verdict(True)),
        ("download 1 MiB, 302 mode (extra)", "50.0 MiB/s", "100.0 MiB/s", "0.50x"),
    ]
    assert report(rows) is True


def test_a_plain_fail_verdict_fails_the_report() -> None:
    rows = [HEADER, ("p99", "120.0 ms", "< 100 ms", verdict(False))]
    assert report(rows) is False


def test_cpu_meter_charges_each_side_with_the_cpu_its_processes_spent() -> None:
    """The CPU table's figures: another process's CPU, per side, to the millisecond."""
    import subprocess
    import sys
    import time

    from bench.meters import CpuMeter

    burn = (
        "import sys, time\n"
        "sys.stdin.readline()\n"
        "end = time.process_time() + 0.3\n"
        "while time.process_time() < end: pass\n"
        "print('done', flush=True)\n"
        "sys.stdin.read()\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", burn], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        cpu = CpuMeter({"child": child.pid})

        def burn_in_child() -> None:
            child.stdin.write("go\n")
            child.stdin.flush()
            assert child.stdout.readline() == "done\n"

        cpu.timed("row|api", burn_in_child)
        cpu.timed("row|direct", lambda: time.sleep(0.1))  # the child waits, idle
    finally:
        child.communicate("")
    assert 0.29 <= cpu.mean("row|api")["child"] <= 0.6
    assert cpu.mean("row|direct")["child"] < 0.01
