"""Pure pieces of the portal's home, dataset and organization pages (no ckan import, so the
tests run them in the project's venv): category browsing, this month's start, the quality
summary panel, the department behind an organization name."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

CITY_TIME = timezone(timedelta(hours=8))  # Asia/Shanghai has no daylight saving
# A department's CKAN organization is `dept-<provider code>` (catalog/mapping.py names them).
DEPARTMENT_PREFIX = "dept-"

# The 类 and 项 of the city's catalog tree (yibenzhang/categories.py; a test keeps them equal:
# CKAN's venv cannot import the project).
CATEGORY_CLASSES: dict[str, str] = {"1": "基础信息资源", "2": "主题信息资源", "3": "部门信息资源"}
CATEGORY_ITEMS: dict[str, str] = {
    "101": "人口基础信息", "102": "法人单位基础信息", "103": "自然资源和空间地理", "104": "社会信用",
    "206": "社会保障", "207": "医疗健康", "208": "交通运输", "210": "生态环境", "309": "民政",
}


def browse_categories(facet_items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The `category` facet (目 codes such as 102003) grouped by 类 and then 项, with counts:
    [{"code": "1", "label", "count", "items": [{"code": "102", "label", "count", "codes": [...]}]}]."""
    classes: dict[str, dict[str, Any]] = {}
    for facet in facet_items:
        code, count = str(facet.get("name") or ""), int(facet.get("count") or 0)
        if len(code) < 3 or not code[:3].isdigit() or count <= 0:
            continue
        cls = classes.setdefault(code[0], {"code": code[0], "label": CATEGORY_CLASSES.get(code[0], code[0]),
                                           "count": 0, "items": {}})
        item = cls["items"].setdefault(code[:3], {"code": code[:3], "label": CATEGORY_ITEMS.get(code[:3], code[:3]),
                                                  "count": 0, "codes": []})
        cls["count"] += count
        item["count"] += count
        item["codes"].append(code)
    return [{**cls, "items": [{**i, "codes": sorted(i["codes"])} for _, i in sorted(cls["items"].items())]}
            for _, cls in sorted(classes.items())]


def category_query(codes: list[str]) -> str:
    """The search for one 项: any of its 目 codes (digits only, so nothing to escape)."""
    return " OR ".join(f'category:"{c}"' for c in codes if c.isdigit())


def month_start_utc(now: datetime) -> str:
    """The first moment of `now`'s month in city time, as Solr's UTC date (metadata_modified)."""
    local = now.astimezone(CITY_TIME).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return local.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def city_datetime(value: str | None) -> str:
    """A stored moment (ISO; naive means UTC, as CKAN and the publisher write them) as
    'YYYY-MM-DD HH:MM' in city time; '' when absent, the text itself when unreadable."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(CITY_TIME).strftime("%Y-%m-%d %H:%M")


def quality_summary(pkg: dict[str, Any]) -> dict[str, Any] | None:
    """The publisher's 质量概况 (JSON text: checks, failed, failed_rules, scores) with the
    package's score, for the panel; None when there is nothing scored to show."""
    raw = pkg.get("quality_summary")
    try:
        summary = json.loads(raw) if isinstance(raw, str) and raw.strip() else (raw or {})
    except ValueError:
        summary = {}
    if not isinstance(summary, dict):
        summary = {}
    score = pkg.get("quality_score")
    found = summary.get("scores")
    scores: dict[str, Any] = found if isinstance(found, dict) else {}
    if score in (None, "") and not summary:
        return None
    return {
        "score": _number(score),
        "checks": summary.get("checks"),
        "failed": summary.get("failed"),
        "failed_rules": [str(r) for r in summary.get("failed_rules") or []],
        "scores": [{"dimension": str(k), "score": _number(v)} for k, v in sorted(scores.items())],
    }


def _number(value: Any) -> str:
    try:
        return f"{float(value):.1f}"
    except (TypeError, ValueError):
        return "—"


def department_code(org_name: str | None) -> str | None:
    """`dept-<code>` → code (the provider code of a department's organization); else None."""
    if org_name and org_name.startswith(DEPARTMENT_PREFIX) and len(org_name) > len(DEPARTMENT_PREFIX):
        return org_name.removeprefix(DEPARTMENT_PREFIX)
    return None


def is_empty(value: Any) -> bool:
    """A 其他信息 row worth hiding: nothing, blank text, an empty list or JSON container."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() in ("", "[]", "{}", "null")
    if isinstance(value, (list, tuple)):
        return all(is_empty(v) for v in value)
    if isinstance(value, dict):
        return not value
    return False
