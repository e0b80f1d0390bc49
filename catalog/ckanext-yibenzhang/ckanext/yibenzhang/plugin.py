"""The `yibenzhang` CKAN plugin: three catalogs (permission labels), identity claims, the
portal pages of the use side, and the hardening of issue 10 (hidden = unknown, grading
enforced by CKAN, CSRF per request, security headers, users, purge, licences, DCAT IRIs).
See docs/governance.md, "CKAN extension"."""

from __future__ import annotations

from typing import Any

import ckan.plugins as plugins
import ckan.plugins.toolkit as toolkit
import flask
from ckan.lib.plugins import DefaultTranslation

from ckanext.yibenzhang import (actions, csrf, downloads, grading, headers, helpers, licenses, portal, purge, remember,
                                users, visibility)
from ckanext.yibenzhang.facets import YibenzhangFacets
from ckanext.yibenzhang.labels import YibenzhangPermissionLabels
from ckanext.yibenzhang.views import blueprint

# Their routes join the blueprint when imported (the dashboards, the tickets and notifications).
from ckanext.yibenzhang import dashboard_views, ticket_views  # noqa: E402, F401, I001


class YibenzhangPlugin(YibenzhangPermissionLabels, YibenzhangFacets, DefaultTranslation, plugins.SingletonPlugin):
    plugins.implements(plugins.IConfigurer)
    plugins.implements(plugins.IConfigDeclaration)
    plugins.implements(plugins.IPermissionLabels)
    plugins.implements(plugins.IActions)
    plugins.implements(plugins.IAuthFunctions)
    plugins.implements(plugins.ITemplateHelpers)
    plugins.implements(plugins.IBlueprint)
    plugins.implements(plugins.ITranslation)
    plugins.implements(plugins.IValidators)
    plugins.implements(plugins.IMiddleware)
    # The search page's facets and their index fields (facets.py)
    plugins.implements(plugins.IFacets)
    plugins.implements(plugins.IPackageController, inherit=True)

    # IConfigurer
    def update_config(self, config):
        toolkit.add_template_directory(config, "templates")
        toolkit.add_public_directory(config, "public")
        licenses.use_our_list(config)
        _with_our_dcat_profile(config)
        if config.get("ckan.favicon") in (None, "", CKAN_FAVICON):  # the bureau's mark, not CKAN's
            config["ckan.favicon"] = "/ybz-favicon.svg"

    def update_config_schema(self, schema):
        ignore_missing = toolkit.get_validator("ignore_missing")
        unicode_safe = toolkit.get_validator("unicode_safe")
        # The publisher anchors the audit chain's head here (config_option_update, sysadmin).
        schema[helpers.AUDIT_HEAD_OPTION] = [ignore_missing, unicode_safe]
        return schema

    # IConfigDeclaration
    def declare_config_options(self, declaration, key):
        declaration.annotate("ckanext-yibenzhang")
        group = key.ckanext.yibenzhang
        declaration.declare(group.api_url, "http://127.0.0.1:5100").set_description(
            "Base URL of the governance API (yibenzhang/api)")
        declaration.declare(group.service_secret, "").set_description(
            "HMAC secret shared with the governance API to sign identity claims")
        declaration.declare(group.bureau_organization, "data-bureau").set_description(
            "CKAN organization of the data bureau (its admins are stewards)")
        declaration.declare(group.audit_head, "").set_description(
            "Head of the audit chain (seq hash), written by the catalog publisher")
        declaration.declare(group.catalog_name, portal.DEFAULT_CATALOG_NAME).set_description(
            "The catalog's name on the portal's home page and title")
        declaration.declare(group.catalog_name_en, portal.DEFAULT_CATALOG_NAME_EN).set_description(
            "The catalog's name on the portal's English pages")
        declaration.declare(group.bureau_name, portal.DEFAULT_BUREAU_NAME).set_description(
            "The bureau running the portal (主办单位, in the footer)")
        declaration.declare(group.bureau_name_en, portal.DEFAULT_BUREAU_NAME_EN).set_description(
            "The bureau's name on the portal's English pages")

    # IActions / IAuthFunctions
    def get_actions(self):
        return {
            "yibenzhang_whoami": actions.yibenzhang_whoami,
            **visibility.hidden_read_actions(),
            **visibility.member_actions(),
            **visibility.tag_actions(),
            "bulk_update_public": grading.bulk_update_public,
            "user_show": users.user_show,
            "dataset_purge": purge.dataset_purge,
        }

    def get_auth_functions(self):
        return {"yibenzhang_whoami": actions.yibenzhang_whoami_auth, "user_list": users.user_list}

    # IValidators
    def get_validators(self):
        return {
            "ybz_public_only_if_open_general": grading.public_only_if_open_general,
            "ybz_known_license": licenses.known_license,
        }

    # IMiddleware: hooks on CKAN's Flask app (we are the first middleware plugin: it is the app)
    def make_middleware(self, app: Any, config: Any) -> Any:
        if isinstance(app, flask.Flask):
            csrf.install(app)
            remember.install(app)
            headers.install(app)
            downloads.install(app)
        else:  # another middleware wrapped the app first: refuse to run unprotected
            raise RuntimeError("ckanext-yibenzhang must be the first IMiddleware plugin (CSRF, headers)")
        return app

    def make_error_log_middleware(self, app: Any, config: Any) -> Any:
        return app

    # ITemplateHelpers
    def get_helpers(self):
        return helpers.all_helpers()

    # IBlueprint
    def get_blueprint(self):
        return [blueprint]


DCAT_PROFILES_OPTION = "ckanext.dcat.rdf.profiles"
OUR_DCAT_PROFILE = "yibenzhang_dcat"


CKAN_FAVICON = "/base/images/ckan.ico"


def _with_our_dcat_profile(config: Any) -> None:
    """Our DCAT profile runs after the ini's profiles (it rewrites what euro_dcat_ap_3 emits)."""
    profiles = toolkit.aslist(config.get(DCAT_PROFILES_OPTION) or "euro_dcat_ap_3")
    if OUR_DCAT_PROFILE not in profiles:
        config[DCAT_PROFILES_OPTION] = " ".join([*profiles, OUR_DCAT_PROFILE])
