"""The catalog vocabulary → DCAT-AP 3 controlled vocabularies (pure: no ckan, no rdflib, so the
project's tests import it). Every mapping is a table a data bureau can read and argue with;
catalog/README.md (DCAT) explains each choice in Chinese.

A value we cannot map honestly maps to None: the profile then leaves the property out rather
than publish a wrong IRI.
"""

from __future__ import annotations

from ckanext.yibenzhang.portal_text import CATEGORY_CLASSES, CATEGORY_ITEMS

EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
EU_FREQUENCY = EU_AUTHORITY + "frequency/"
EU_ACCESS_RIGHT = EU_AUTHORITY + "access-right/"
EU_LANGUAGE = EU_AUTHORITY + "language/"
EU_DATA_THEME = EU_AUTHORITY + "data-theme"  # the scheme; concepts are <scheme>/<CODE>
EU_COUNTRY = EU_AUTHORITY + "country/"
ADMS_PUBLISHER_TYPE = "http://purl.org/adms/publishertype/"

# 更新周期 → EU frequency. 实时 is the EU's CONT (continuous); 每半年 is ANNUAL_2 (semiannual).
FREQUENCIES: dict[str, str] = {
    "realtime": "CONT",
    "daily": "DAILY",
    "weekly": "WEEKLY",
    "monthly": "MONTHLY",
    "quarterly": "QUARTERLY",
    "semiannual": "ANNUAL_2",
    "yearly": "ANNUAL",
    "irregular": "IRREG",
}


def frequency_iri(update_cycle: object) -> str | None:
    code = FREQUENCIES.get(str(update_cycle or "").strip())
    return EU_FREQUENCY + code if code else None


# 数据级别 + 开放属性 → EU access right, strictest fact first (就高从严), as the catalog policy:
# important (and core, which never reaches CKAN) is never public; general data follows its
# open type: 无条件开放 → PUBLIC, 有条件开放 (申请/实名后获取) → RESTRICTED, 不予开放 → NON_PUBLIC
# (departments may still request it through sharing; the public may not see it).
ACCESS_RIGHTS_BY_OPEN_TYPE: dict[str, str] = {
    "unconditional": "PUBLIC",
    "conditional": "RESTRICTED",
    "none": "NON_PUBLIC",
}
NEVER_PUBLIC_LEVELS = {"important", "core"}
ACCESS_RIGHT_LABELS: dict[str, tuple[str, str]] = {
    "PUBLIC": ("公开", "public"),
    "RESTRICTED": ("受限", "restricted"),
    "NON_PUBLIC": ("非公开", "non-public"),
}


def access_right(security_level: object, open_type: object) -> str | None:
    """PUBLIC / RESTRICTED / NON_PUBLIC, or None when the grading is unknown (not ours)."""
    level, opened = str(security_level or "").strip(), str(open_type or "").strip()
    if level in NEVER_PUBLIC_LEVELS:
        return "NON_PUBLIC"
    if level != "general":
        return None
    return ACCESS_RIGHTS_BY_OPEN_TYPE.get(opened)


def access_right_iri(security_level: object, open_type: object) -> str | None:
    code = access_right(security_level, open_type)
    return EU_ACCESS_RIGHT + code if code else None


LANGUAGE_ZHO = EU_LANGUAGE + "ZHO"
LANGUAGE_LABELS = ("中文", "Chinese")

# 信息资源分类 项 → EU data theme, where one fits the 项 as a whole.
EU_THEME_OF_ITEM: dict[str, str] = {
    "101": "SOCI",  # 人口基础信息
    "102": "ECON",  # 法人单位基础信息
    "103": "REGI",  # 自然资源和空间地理 (行政区划、地名地址、房屋建筑)
    "104": "ECON",  # 社会信用
    "206": "SOCI",  # 社会保障
    "207": "HEAL",  # 医疗健康
    "208": "TRAN",  # 交通运输
    "210": "ENVI",  # 生态环境
    "309": "SOCI",  # 民政
}
EU_THEME_LABELS: dict[str, tuple[str, str]] = {
    "SOCI": ("人口和社会", "Population and society"),
    "ECON": ("经济和金融", "Economy and finance"),
    "REGI": ("地区和城市", "Regions and cities"),
    "HEAL": ("卫生", "Health"),
    "TRAN": ("交通", "Transport"),
    "ENVI": ("环境", "Environment"),
}


def category_codes(category: object) -> tuple[str, str] | None:
    """(类, 类+项) of a category path such as 102001, or None when it is not in our tree."""
    code = str(category or "").strip()
    if len(code) < 3 or not code[:3].isdigit() or code[:3] not in CATEGORY_ITEMS:
        return None
    return code[0], code[:3]


def class_label(class_code: str) -> str:
    return CATEGORY_CLASSES.get(class_code, class_code)


def item_label(item_code: str) -> str:
    return CATEGORY_ITEMS.get(item_code, item_code)


def eu_theme_iri(item_code: str) -> str | None:
    code = EU_THEME_OF_ITEM.get(item_code)
    return f"{EU_DATA_THEME}/{code}" if code else None


# The city (GB/T 2260 行政区划代码) and its country.
CITY_CODE = "320600"
CITY_NAME = "南通市"
COUNTRY_CHN = EU_COUNTRY + "CHN"
COUNTRY_LABELS = ("中国", "China")

# Departments of the city government: ADMS publisher type "local authority".
LOCAL_AUTHORITY = ADMS_PUBLISHER_TYPE + "LocalAuthority"
LOCAL_AUTHORITY_LABELS = ("地方政府部门", "Local authority")


def vocabulary_base(configured: str | None, site_url: str) -> str:
    """Namespace of our own concepts (themes, regions), ending with '/'. Set it once to the
    bureau's permanent address (ckanext.yibenzhang.catalog_vocabulary_base) and never change
    it: harvesters keep these IRIs."""
    base = (configured or "").strip() or f"{site_url.rstrip('/')}/yibenzhang/def/"
    return base if base.endswith("/") else base + "/"


def region_iri(base: str, code: str = CITY_CODE) -> str:
    """GB/T 2260 code as an IRI: <base>region/<6-digit code>."""
    return f"{base}region/{code}"


def theme_scheme_iri(base: str) -> str:
    return f"{base}theme"


def theme_iri(base: str, code: str) -> str:
    """A 类 (1 digit) or 项 (类+项, 3 digits) of the catalog tree: <base>theme/<code>."""
    return f"{base}theme/{code}"


def mailto(email: object) -> str | None:
    """A contact e-mail as a mailto: IRI; None for anything that is not an address."""
    text = str(email or "").strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    if not text or "@" not in text or any(c.isspace() for c in text) or text.startswith("@") or text.endswith("@"):
        return None
    return "mailto:" + text
