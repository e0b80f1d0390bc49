"""Secrets generated at the first `up` and kept in .stack/secrets.json (git-ignored)."""

from __future__ import annotations

import json
import os
import secrets as _random
from pathlib import Path

KEYS = ("secret_key", "jwt_secret", "ckan_db_password", "test_db_password", "admin_password",
        "solr_password", "solr_salt",
        # HMAC key the CKAN extension signs identity claims with for the governance API.
        "governance_service_secret")


def load_or_create(path: Path) -> dict[str, str]:
    """Existing secrets are kept; missing ones are generated (so upgrades add keys)."""
    data: dict[str, str] = {}
    if path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
    changed = False
    for key in KEYS:
        if not data.get(key):
            # URL-safe: the passwords go into database URLs unescaped.
            data[key] = _random.token_urlsafe(32)
            changed = True
    if changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        os.chmod(path, 0o600)
    return data
