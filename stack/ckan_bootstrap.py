"""Create (or repair) the stack's sysadmin and issue an API token, in one CKAN process.

Runs inside the CKAN virtualenv: `python ckan_bootstrap.py CKAN_INI USER EMAIL PASSWORD`.
Prints one JSON line {"user": ..., "token": ...}. Doing this through CKAN's actions in one
process avoids several `ckan` CLI calls (~2 s each).
"""

import json
import sys

from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app


def main(ini: str, name: str, email: str, password: str) -> None:
    app = make_app(CKANConfigLoader(ini).get_config())
    with app._wsgi_app.test_request_context():
        import ckan.model as model
        import ckan.plugins.toolkit as tk

        site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
        context = {"user": site_user["name"], "ignore_auth": True}
        user = model.User.get(name)
        if user is None:
            tk.get_action("user_create")(
                dict(context), {"name": name, "email": email, "password": password}
            )
            user = model.User.get(name)
        # A database kept from another checkout's stack holds another password: this one's wins.
        if not user.sysadmin or user.state != "active" or not user.validate_password(password):
            user.sysadmin = True
            user.state = "active"
            user.password = password  # hashed by the model's setter
            model.Session.commit()
        token = tk.get_action("api_token_create")(
            dict(context), {"user": name, "name": "ybz-stack"}
        )["token"]
    print(json.dumps({"user": name, "token": token}))


if __name__ == "__main__":
    main(*sys.argv[1:5])
