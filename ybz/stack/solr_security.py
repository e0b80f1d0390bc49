"""Solr's BasicAuth: without it any local process could read private datasets' full
`data_dict` from the raw index, and write to it.

`up` writes `security.json` into the Solr home (read by Solr at start, standalone mode):
BasicAuthPlugin with `blockUnknown`, so every request needs the `ckan` user, and the rule-based
authorizer giving that user every permission. The password is generated once into
.stack/secrets.json; the salt too, so the file does not change between `up`s. CKAN gets the
credentials through `solr_user` / `solr_password` in its ini.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from ybz.stack.config import StackConfig
from ybz.stack.stack_secrets import load_or_create

SOLR_USER = "ckan"
SECURITY_FILE = "security.json"


def credentials(cfg: StackConfig) -> tuple[str, str]:
    return SOLR_USER, load_or_create(cfg.secrets_file)["solr_password"]


def basic_auth_header(cfg: StackConfig) -> dict[str, str]:
    user, password = credentials(cfg)
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def hashed(password: str, salt: bytes) -> str:
    """Solr's Sha256AuthenticationProvider format: base64(sha256(sha256(salt + password))) and
    base64(salt), separated by a space."""
    once = hashlib.sha256(salt + password.encode("utf-8")).digest()
    twice = hashlib.sha256(once).digest()
    return f"{base64.b64encode(twice).decode()} {base64.b64encode(salt).decode()}"


def security_config(password: str, salt: bytes) -> dict:
    return {
        "authentication": {
            "class": "solr.BasicAuthPlugin",
            "blockUnknown": True,
            "forwardCredentials": False,
            "credentials": {SOLR_USER: hashed(password, salt)},
        },
        "authorization": {
            "class": "solr.RuleBasedAuthorizationPlugin",
            "permissions": [{"name": "all", "role": "admin"}],
            "user-role": {SOLR_USER: ["admin"]},
        },
    }


def write_security(cfg: StackConfig) -> bool:
    """Write security.json into the Solr home; True when it changed (Solr must restart)."""
    secrets = load_or_create(cfg.secrets_file)
    salt = base64.urlsafe_b64decode(secrets["solr_salt"] + "=" * (-len(secrets["solr_salt"]) % 4))
    text = json.dumps(security_config(secrets["solr_password"], salt), indent=2) + "\n"
    path = Path(cfg.solr_home) / SECURITY_FILE
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)
    return True
