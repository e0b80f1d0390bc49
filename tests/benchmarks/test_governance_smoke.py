"""Smoke test for benchmarks/governance.py at tiny sizes: every measure runs, reports its fields
and a ratio against its baseline, and the work folder is removed. No timing is asserted.

The download through the running stack (benchmarks/governance_live.py) is tested on its own,
marked `ckan`: a real grant walked through the live API and CKAN at 1 MB, then everything it
created checked gone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import governance as bench
from benchmarks import governance_live as live

ROWS, ENTRIES, MEGABYTES = 3_000, 300, 2


def test_whole_benchmark_runs_at_a_tiny_size(tmp_path, capsys):
    code = bench.main(["--rows", str(ROWS), "--audit-entries", str(ENTRIES), "--download-mb", str(MEGABYTES),
                       "--repeat", "2", "--live", "off", "--out", str(tmp_path)])
    report = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    results = report["results"]
    assert code == 0, {k: v["error"] for k, v in results.items() if v["error"]}
    assert results["delivery_baseline_copy"]["detail"]["rows"] == ROWS
    for kind in ("share", "license"):
        delivery = results[f"delivery_{kind}"]
        assert delivery["baseline"] == "delivery_baseline_copy" and delivery["detail"]["rows"] == ROWS, delivery
    verify = results["audit_verify"]["detail"]
    assert verify["ok"] is True and verify["entries"] == ENTRIES == verify["anchored"], verify
    assert results["audit_baseline_sha256"]["detail"]["hashes"] == 2 * ENTRIES
    direct, api = results["download_direct_read"]["detail"], results["download_api"]["detail"]
    assert api["bytes"] == direct["bytes"] > MEGABYTES * 1_048_576, "the API must stream the whole file"
    assert api["sha256"] == direct["sha256"], "the API must send the file's exact bytes"
    assert len(api["runs_s"]) == len(direct["runs_s"]) == 2, "--repeat 2 times each download twice"
    for name in live.NAMES:
        assert results[name]["skipped"] == "--live off" and results[name]["seconds"] is None, results[name]
    assert set(report["ratios"]) == {"delivery_share", "delivery_license", "audit_verify", "download_api"}
    assert all(r > 0 for r in report["ratios"].values())
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"], "the work folder must be removed"
    out = capsys.readouterr().out
    assert "ratio" in out and "skipped" in out


def test_the_live_download_is_skipped_without_a_stack_and_fails_when_demanded(tmp_path):
    absent = tmp_path / "ckan.env"
    skipped = bench.live_contenders("auto", absent, 1, 1, tmp_path)
    assert [r.name for r in skipped] == list(live.NAMES)
    assert all(r.ok and r.skipped and str(absent) in r.skipped and "ybz stack up" in r.skipped for r in skipped), (
        f"a missing stack must be a skip naming the env file and how to start it: {skipped}")
    demanded = bench.live_contenders("on", absent, 1, 1, tmp_path)
    assert len(demanded) == 1 and not demanded[0].ok and str(absent) in (demanded[0].error or ""), demanded


def test_invalid_sizes_are_refused(capsys):
    with pytest.raises(SystemExit) as exit_:
        bench.main(["--rows", "0"])
    assert exit_.value.code == 2
    assert "--rows must be at least 1" in capsys.readouterr().err


@pytest.mark.ckan
def test_live_download_through_api_and_portal_hands_over_the_delivery_and_cleans_up(tmp_path):
    env, why_not = live.stack_env(bench.STACK_ENV)
    if env is None:
        pytest.skip(why_not)
    from ckanapi import NotFound, RemoteCKAN

    from yibenzhang.facade import Yibenzhang
    from yibenzhang.governance.delivery import request_dir
    from yibenzhang.ledger.layout import dataset_dir
    from yibenzhang.settings import Settings

    results = {r.name: r for r in bench.live_contenders("on", bench.STACK_ENV, 1, 2, tmp_path)}
    assert list(results) == list(live.NAMES), {n: r.error for n, r in results.items()}
    assert all(r.ok and r.seconds for r in results.values()), {n: r.error for n, r in results.items()}
    first = results["download_live_direct_read"].detail
    assert first["cleanup"] == "ok", f"cleanup failed: {first['cleanup']}"
    digests = {n: r.detail["sha256"] for n, r in results.items()}
    assert len(set(digests.values())) == 1, f"the three paths handed over different bytes: {digests}"
    assert {r.detail["bytes"] for r in results.values()} == {first["bytes"]}
    assert 0.8 * 1_048_576 < first["bytes"] < 1.25 * 1_048_576, f"a 1 MB delivery came out as {first['bytes']} bytes"
    ratio = bench.ratios(list(results.values()))
    assert set(ratio) == {"download_api_live", "download_portal"} and all(v > 0 for v in ratio.values()), ratio

    # Everything the run made is gone (the append-only audit entries aside).
    settings = Settings(home=Path(env["YBZ_GOVERNANCE_HOME"]))
    assert not request_dir(settings, first["request"]).exists() or not any(
        request_dir(settings, first["request"]).iterdir()), "the revoked grant's delivery files must be removed"
    assert not dataset_dir(settings.ledger_dir, first["dataset_id"]).exists(), "the generated ledger data must go"
    state = Yibenzhang(settings).resource(first["dataset_id"]).state
    assert state == "withdrawn", f"the benchmark resource must be withdrawn, it is {state!r}"
    admin = RemoteCKAN(env["YBZ_CKAN_URL"], apikey=env["YBZ_CKAN_API_TOKEN"])
    for role in ("staff", "cdo", "steward"):
        user = admin.action.user_show(id=f"bench-dl-{first['run']}-{role}")
        assert user["state"] == "deleted", f"benchmark user {user['name']} is {user['state']}"
        assert admin.action.api_token_list(user_id=user["name"]) == [], f"{user['name']} still has tokens"
    assert len(first["organizations"]) == 2
    for org in first["organizations"]:
        with pytest.raises(NotFound):
            admin.action.organization_show(id=org)
