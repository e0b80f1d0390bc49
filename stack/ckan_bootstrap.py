"""Create (or repair) the stack's sysadmin and the bureau's organization, and issue an API
token, in one CKAN process.

Runs inside the CKAN virtualenv:
`python ckan_bootstrap.py CKAN_INI USER EMAIL PASSWORD ORG ORG_TITLE new-token|no-token`.
Prints one JSON line {"user": ..., "token": ... or null, "organization": ...}. Doing this
through CKAN's actions in one process avoids several `ckan` CLI calls (~2 s each).
"""

import json
import sys

from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app


def ensure_sysadmin(model, tk, context, name, email, password):
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


def ensure_organization(model, tk, context, org_name, title, admin):
    """The organization exists, is active, and `admin` is one of its admins (idempotent)."""
    group = model.Group.get(org_name)
    if group is None:
        tk.get_action("organization_create")(dict(context), {"name": org_name, "title": title})
    elif group.state != "active":
        group.state = "active"
        model.Session.commit()
    # Adding a member again updates its capacity: the call is idempotent.
    tk.get_action("organization_member_create")(
        dict(context), {"id": org_name, "username": admin, "role": "admin"}
    )


def main(ini, name, email, password, org_name, org_title, token_wanted):
    app = make_app(CKANConfigLoader(ini).get_config())
    with app._wsgi_app.test_request_context():
        import ckan.model as model
        import ckan.plugins.toolkit as tk

        site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
        context = {"user": site_user["name"], "ignore_auth": True}
        ensure_sysadmin(model, tk, context, name, email, password)
        ensure_organization(model, tk, context, org_name, org_title, name)
        token = None
        if token_wanted == "new-token":
            token = tk.get_action("api_token_create")(
                dict(context), {"user": name, "name": "ybz-stack"}
            )["token"]
    print(json.dumps({"user": name, "token": token, "organization": org_name}))


if __name__ == "__main__":
    main(*sys.argv[1:8])
