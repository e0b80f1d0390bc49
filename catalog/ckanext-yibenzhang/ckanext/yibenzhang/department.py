"""Who answers for a department (`h.ybz_department_contact`): its 首席数据官 and a contact
address, for the department page and the dataset page's sidebar.

CKAN is the identity provider: a department's CDOs are the admins of its organization (a
sysadmin, such as the stack's, an admin of every organization it created, is not one). CKAN shows member
lists to members only, so the names are read with the site's authority and only display names
leave this module — never user ids, e-mails of accounts or other members. The contact address
is the department's published one: the organization's `contact_email` extra when the
department set one, else the address its contracts publish most (`contact_email` of its
datasets, from the contract's ODCS `support`)."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from ckan.plugins import toolkit

# Every dataset page's sidebar shows its department's contact; looking it up costs ~40 ms (a
# search, the member list, a user per admin) and it changes rarely: kept a few minutes per
# process. A new CDO shows within CONTACT_TTL_S.
CONTACT_TTL_S = 300.0
_contacts: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}


def _site_context() -> dict[str, Any]:
    site_user = toolkit.get_action("get_site_user")({"ignore_auth": True}, {})
    return {"user": site_user["name"], "ignore_auth": True}


def chief_data_officers(org_id: str) -> list[str]:
    """Display names of the organization's admins who are people of the department."""
    context = _site_context()
    try:
        members = toolkit.get_action("member_list")(
            dict(context), {"id": org_id, "object_type": "user", "capacity": "admin"})
    except (toolkit.ObjectNotFound, toolkit.ValidationError):
        return []
    names = []
    for user_id, _type, _capacity in members:
        try:
            user = toolkit.get_action("user_show")(dict(context), {"id": user_id})
        except toolkit.ObjectNotFound:
            continue
        if user.get("sysadmin") or user.get("state") != "active":
            continue
        names.append(str(user.get("fullname") or user.get("display_name") or user["name"]))
    return sorted(names)


def _extra(organization: dict[str, Any], key: str) -> str:
    for extra in organization.get("extras") or []:
        if extra.get("key") == key and str(extra.get("value") or "").strip():
            return str(extra["value"]).strip()
    return str(organization.get(key) or "").strip()


def published_contact(org_name: str) -> str:
    """The contact e-mail most of the department's public datasets give."""
    found = toolkit.get_action("package_search")(
        {"ignore_auth": True},
        {"fq": f'+organization:"{org_name}" +dataset_type:dataset +capacity:public',
         "rows": 20})
    emails = Counter(str(p.get("contact_email") or "").strip() for p in found.get("results", []))
    emails.pop("", None)
    return emails.most_common(1)[0][0] if emails else ""


def department_contact(organization: dict[str, Any]) -> dict[str, Any]:
    """{"cdos": [names], "email": str}; empty values when the department registered none."""
    if not organization or not organization.get("id"):
        return {"cdos": [], "email": ""}
    key = (str(organization["id"]), _extra(organization, "contact_email"))
    now = time.monotonic()
    hit = _contacts.get(key)
    if hit is None or hit[0] < now:
        email = key[1] or published_contact(organization["name"])
        hit = (now + CONTACT_TTL_S, {"cdos": chief_data_officers(organization["id"]), "email": email})
        _contacts[key] = hit
    return {"cdos": list(hit[1]["cdos"]), "email": hit[1]["email"]}
