"""WSGI entry module for CKAN 2.12 (the wheel ships none); gunicorn loads `ckan_wsgi:application`.

Runs inside the CKAN virtualenv under .stack/, never in the project's venv. The config file is
taken from $CKAN_INI (set by `ybz stack up`).
"""

import os

from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app

application = make_app(CKANConfigLoader(os.environ["CKAN_INI"]).get_config())
