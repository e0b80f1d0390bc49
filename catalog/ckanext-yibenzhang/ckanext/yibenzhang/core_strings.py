"""CKAN's own strings that our .po translates anew (CKAN merges an extension's translations over
its own): where CKAN's zh_Hans_CN is wrong (登陆 for 登录, 登记 for 注册), left blank (the login
form, the search's empty answer) or says 数据集/机构 where the bureau says 数据资源/部门.

Marked with N_ so `pybabel extract` keeps them in our catalog; never called at run time."""

from __future__ import annotations


def N_(text: str) -> str:  # noqa: N802 - gettext's conventional marker
    return text


CORE_OVERRIDES = (
    N_("Log in"), N_("Login"), N_("Register"), N_("Username or Email"), N_("Submit"),
    N_("Need an Account?"), N_("Create an Account"), N_("Datasets"), N_("Dataset"), N_("Organizations"),
    N_("Organization"), N_("Please try another search."), N_("Search datasets..."), N_("Search Datasets..."),
    N_("Search organizations..."),
    N_("<p class=\"empty\">This dataset has no data, <a href=\"%(url)s\">why not add some?</a></p>"),
    N_("<p class=\"extra\">Please try another search.</p>"),
    N_("<p id=\"search-error\"><strong>There was an error while searching.</strong> Please try again.</p>"),
    N_("There is no description for this organization."), N_("Go"), N_("License"),
    N_("No License Provided"), N_("Licenses"), N_("Filter Results"), N_("Followers"), N_("Created"),
    N_("Private"), N_("Field"), N_("Value"), N_("Profile settings"), N_("Skip to main content"),
    N_("There is no description for this dataset."), N_("Show More {facet_type}"), N_("Show Only Popular {facet_type}"),
)
