"""bench/files_api.py's verdict: a failed target must fail the run (exit 1)."""

from __future__ import annotations

from bench.files_api import _ratio, _report, _verdict

HEADER = ("measure", "api", "direct / target", "result")


def test_a_ratio_below_target_fails_the_report(capsys) -> None:
    rows = [HEADER, ("upload 1 MiB", "59.3 MiB/s", "100.0 MiB/s", _ratio(59.3, 100.0))]
    assert rows[1][3] == "0.59x FAIL"
    assert _report(rows) is False
    assert "0.59x FAIL" in capsys.readouterr().out


def test_targets_met_pass_and_unjudged_rows_do_not_count() -> None:
    rows = [
        HEADER,
        ("download 1 MiB", "80.0 MiB/s", "100.0 MiB/s", _ratio(80.0, 100.0)),
        ("server peak RSS above idle", "37 MiB", "< 100 MiB", _verdict(True)),
        ("download 1 MiB, 302 mode (extra)", "50.0 MiB/s", "100.0 MiB/s", "0.50x"),
    ]
    assert _report(rows) is True


def test_a_plain_fail_verdict_fails_the_report() -> None:
    rows = [HEADER, ("p99", "120.0 ms", "< 100 ms", _verdict(False))]
    assert _report(rows) is False
