"""The harvest services of the stack (ybz/stack/harvest_service.py): what `up` starts, how they
are told apart, and (live) that they run with ckanext-harvest's tables in place."""

from __future__ import annotations

import os

import pytest

from ybz.stack import harvest_service, stack
from ybz.stack.config import StackConfig
from ybz.stack.service_account import account, uid_of


def test_each_daemon_has_its_own_mark_pid_file_and_a_ckan_command(tmp_path):
    cfg = StackConfig(root=tmp_path)
    marks = [d.mark for d in harvest_service.DAEMONS]
    assert len(set(marks)) == len(marks) == 3, marks
    assert not any(a in b for a in marks for b in marks if a != b), "a mark inside another: wrong PID owner"
    for daemon in harvest_service.DAEMONS:
        cmd = harvest_service.command(cfg, daemon)
        assert cmd[:3] == [str(cfg.ckan_venv / "bin" / "ckan"), "-c", str(cfg.ckan_ini)]
        assert daemon.mark in " ".join(cmd)
    assert harvest_service.stop(cfg) == [], "nothing recorded: nothing stopped"
    assert harvest_service.running(cfg, harvest_service.DAEMONS[0]) is None


def test_the_harvest_plugins_are_in_the_portals_plugins_line():
    from ybz.stack import ckan

    plugins = ckan.PLUGINS.split()
    assert {"harvest", "yibenzhang_harvest", "scheming_datasets"} <= set(plugins)
    assert plugins.index("yibenzhang") < plugins.index("harvest"), "yibenzhang stays the first middleware"


@pytest.mark.ckan
def test_up_runs_the_harvest_daemons_as_the_service_account(stack_env, stack_cfg):
    rows = {r.name: r for r in stack.status(stack_cfg)}
    acct = account(stack_cfg)
    for name in harvest_service.NAMES:
        assert rows[name].state == "running", f"{name}: {rows[name].state} (see .stack/logs/{name}.log)"
        proc = harvest_service.running(stack_cfg, next(d for d in harvest_service.DAEMONS if d.name == name))
        assert proc is not None
        assert proc.uids().effective == (uid_of(acct) if acct else os.geteuid()), f"{name} runs as the wrong user"


@pytest.mark.ckan
def test_harvest_tables_exist_and_the_harvester_is_registered(stack_env, ckan):
    from ybz.stack import postgres

    assert harvest_service.tables_exist(postgres.cluster().port)
    info = ckan.action.harvesters_info_show()
    assert "ybz_ckan" in {h["name"] for h in info}, info
