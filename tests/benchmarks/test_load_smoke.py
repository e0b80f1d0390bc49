"""Smoke test of benchmarks/load.py: 2 clients for 2 s against the real stack, every endpoint
answered without errors and compared with the baseline; non-loopback targets are refused.
No latency is asserted (the machine is shared)."""

from __future__ import annotations

import json
import time

import pytest

from benchmarks import load


@pytest.mark.ckan
def test_two_clients_for_two_seconds(tmp_path, capsys):
    env_file = load.StackConfig.from_env().env_file
    if not env_file.exists():
        pytest.skip(f"{env_file} is absent: run `ybz stack up`")
    started = time.monotonic()
    code = load.main(["--clients", "2", "--seconds", "2", "--baseline-seconds", "1",
                      "--out", str(tmp_path)])
    elapsed = time.monotonic() - started
    report = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    examples = {k: v["error_examples"] for k, v in report["load"].items() if v["errors"]}
    assert code == 0, f"requests failed: {examples}"
    assert set(report["load"]) == {e.name for e in load.ENDPOINTS}
    for name, stats in report["load"].items():
        assert stats["requests"] > 0 and stats["errors"] == 0, (name, stats)
        assert stats["p50_ms"] <= stats["p95_ms"] <= stats["p99_ms"], (name, stats)
        assert report["baseline"][name]["requests"] > 0, f"{name}: no baseline requests"
        assert report["ratio_p50"][name] > 0, f"{name}: no ratio against the baseline"
    assert report["clients"] == 2 and 2 <= report["seconds"] < 2 + load.REQUEST_TIMEOUT_S
    assert elapsed < 60, f"the load test must stop by itself; it took {elapsed:.0f} s"
    out = capsys.readouterr().out
    assert "ckan_search" in out and "ratio p50" in out, out


@pytest.mark.parametrize("url", ["http://127.0.0.1:5000", "http://127.8.9.1:5100/", "http://[::1]:5000",
                                 "http://localhost:5000"])
def test_loopback_urls_are_accepted(url):
    assert load.require_loopback(url) == url.rstrip("/")


@pytest.mark.parametrize("url", ["http://10.0.0.5:5000", "https://example.org", "http://0.0.0.0:5000",
                                 "http://192.168.1.2", "ftp://127.0.0.1/", "127.0.0.1:5000",
                                 "http://localhost.example.org:5000"])
def test_other_urls_are_refused(url):
    with pytest.raises(load.LoadTestError):
        load.require_loopback(url)


def test_refused_url_stops_before_any_request(capsys):
    assert load.main(["--seconds", "1", "--ckan-url", "http://10.1.2.3:5000"]) == 2
    assert "loopback" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [(["--clients", "0"], "between 1 and 200"),
                                           (["--clients", "500"], "between 1 and 200"),
                                           (["--seconds", "3600"], "between 1 and 600")])
def test_limits_are_enforced(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        load.main(argv)
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert (load.percentile(values, 50), load.percentile(values, 95), load.percentile(values, 99)) == (50, 95, 99)
    assert load.percentile([7.0], 99) == 7.0 and load.percentile([], 50) is None
