"""security.json for Solr's BasicAuth: the hash Solr's Sha256AuthenticationProvider expects."""

from __future__ import annotations

import base64
import hashlib
import json

from ybz.stack.config import StackConfig
from ybz.stack.solr_security import SOLR_USER, hashed, security_config, write_security


def test_the_hash_is_solrs_double_sha256_of_salt_and_password():
    salt = b"0123456789abcdef"
    digest, salt_b64 = hashed("secret", salt).split(" ")
    expected = hashlib.sha256(hashlib.sha256(salt + b"secret").digest()).digest()
    assert base64.b64decode(digest) == expected and base64.b64decode(salt_b64) == salt


def test_every_request_needs_the_ckan_user():
    config = security_config("pw", b"salt")
    assert config["authentication"]["blockUnknown"] is True, "unknown (anonymous) requests must be refused"
    assert set(config["authentication"]["credentials"]) == {SOLR_USER}
    assert config["authorization"]["permissions"] == [{"name": "all", "role": "admin"}]


def test_written_once_private_and_stable(tmp_path, monkeypatch):
    monkeypatch.setenv("YBZ_STACK_DIR", str(tmp_path / "stack"))
    cfg = StackConfig.from_env()
    assert write_security(cfg) is True
    path = cfg.solr_home / "security.json"
    assert oct(path.stat().st_mode & 0o777) == "0o600", "the file holds the password hash"
    assert write_security(cfg) is False, "an unchanged security.json must not restart Solr"
    assert SOLR_USER in json.loads(path.read_text())["authentication"]["credentials"]
