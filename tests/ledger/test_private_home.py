"""The ledger home holds core data: nobody but the service owner may enter it."""

from __future__ import annotations

import os
import stat

from yibenzhang.facade import Yibenzhang
from yibenzhang.settings import Settings


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_home_is_private_whatever_the_umask(tmp_path):
    old = os.umask(0o000)  # the most permissive umask a service could start with
    try:
        Yibenzhang(Settings(home=tmp_path / "home", registry_url=None))
    finally:
        os.umask(old)
    home = tmp_path / "home"
    assert mode(home) == 0o700, f"home is {oct(mode(home))}: other users could read the ledger"
    assert (home / "registry.db").is_file(), "the registry lives in the private home"


def test_an_existing_open_home_is_closed(tmp_path):
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    os.chmod(home, 0o755)
    Settings(home=home).ensure_dirs()
    assert mode(home) == 0o700, f"an existing home left at {oct(mode(home))}"
