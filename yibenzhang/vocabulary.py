"""The catalog metadata vocabulary (shared/design/catalog-vocabulary.md) as Python enums.

One vocabulary is used by contracts, the registry, the ledger and the CKAN schema: the enum
*values* are the identifiers stored everywhere; `label()` gives the Chinese label shown to people.
"""

from __future__ import annotations

from enum import StrEnum


class LabelledEnum(StrEnum):
    """A StrEnum whose members carry a Chinese label: Member = ("identifier", "中文"), optionally
    with the short forms departments also write: ("important", "重要数据", ("重要",))."""

    # Set per member in __new__ (an annotation alone does not make an enum member).
    label_zh: str
    short_labels: tuple[str, ...]

    def __new__(cls, value: str, label: str = "", short: tuple[str, ...] = ()):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label_zh = label or value
        member.short_labels = short
        return member

    @property
    def label(self) -> str:
        return self.label_zh

    @classmethod
    def allowed(cls) -> list[str]:
        return [m.value for m in cls]

    @classmethod
    def from_label(cls, text: str) -> LabelledEnum:
        """Accept an identifier, a Chinese label or its short form (departments often write
        the label, and often without its generic ending: 重要 for 重要数据)."""
        text = text.strip()
        for m in cls:
            if text in (m.value, m.label_zh) or text in m.short_labels:
                return m
        raise ValueError(f"{text!r} is not one of {cls.allowed()}")


class ResourceAttribute(LabelledEnum):
    BASE = ("base", "基础")
    THEMATIC = ("thematic", "主题")
    DEPARTMENTAL = ("departmental", "部门")


class ResourceFormat(LabelledEnum):
    FILE = ("file", "电子文件", ("文件",))
    SPREADSHEET = ("spreadsheet", "电子表格", ("表格",))
    DATABASE = ("database", "数据库")
    API = ("api", "服务接口", ("接口",))
    IMAGE = ("image", "图形图像")
    STREAM = ("stream", "流媒体")


class ShareType(LabelledEnum):
    UNCONDITIONAL = ("unconditional", "无条件共享", ("无条件",))
    CONDITIONAL = ("conditional", "有条件共享", ("有条件",))
    NONE = ("none", "不予共享", ("不予", "不共享"))


class ShareMethod(LabelledEnum):
    API = ("api", "接口")
    FILE = ("file", "文件下载", ("文件",))
    DATABASE = ("database", "库表交换", ("库表",))


class OpenType(LabelledEnum):
    UNCONDITIONAL = ("unconditional", "无条件开放", ("无条件",))
    CONDITIONAL = ("conditional", "有条件开放", ("有条件",))
    NONE = ("none", "不予开放", ("不予", "不开放"))


class UpdateCycle(LabelledEnum):
    REALTIME = ("realtime", "实时")
    DAILY = ("daily", "每日", ("每天",))
    WEEKLY = ("weekly", "每周")
    MONTHLY = ("monthly", "每月")
    QUARTERLY = ("quarterly", "每季度", ("每季",))
    SEMIANNUAL = ("semiannual", "每半年", ("半年",))
    YEARLY = ("yearly", "每年")
    IRREGULAR = ("irregular", "不定期")


class SecurityLevel(LabelledEnum):
    """GB/T 43697 data grading. Ordered: a higher rank is stricter (就高从严)."""

    GENERAL = ("general", "一般数据", ("一般",))
    IMPORTANT = ("important", "重要数据", ("重要",))
    CORE = ("core", "核心数据", ("核心",))

    @property
    def rank(self) -> int:
        return list(SecurityLevel).index(self)


class PersonalInfo(LabelledEnum):
    NONE = ("none", "非个人信息")
    PERSONAL = ("personal", "个人信息")
    SENSITIVE = ("sensitive", "敏感个人信息")


class RegistrationKind(LabelledEnum):
    INITIAL = ("initial", "首次登记")
    CHANGE = ("change", "变更登记")
    CORRECTION = ("correction", "更正登记")
    CANCELLATION = ("cancellation", "注销登记")


class LifecycleState(LabelledEnum):
    DRAFT = ("draft", "草稿")
    SUBMITTED = ("submitted", "已提交")
    APPROVED = ("approved", "已审核")
    REJECTED = ("rejected", "已驳回")
    PUBLISHED = ("published", "已发布")
    WITHDRAWN = ("withdrawn", "已撤销")


class QualityDimension(LabelledEnum):
    """GB/T 36344-2018 dimensions, plus `validity` for format and code-table rules."""

    COMPLETENESS = ("completeness", "完整性")
    ACCURACY = ("accuracy", "准确性")
    CONSISTENCY = ("consistency", "一致性")
    TIMELINESS = ("timeliness", "时效性")
    UNIQUENESS = ("uniqueness", "唯一性")
    VALIDITY = ("validity", "有效性")


class CodeRule(LabelledEnum):
    """A column's code rule (`codeRule`): the value must be a valid code of this kind; it is
    also standardized as one (upper-cased, retired district codes/names mapped forward)."""

    USCC = ("uscc", "统一社会信用代码 GB 32100")
    RIC = ("ric", "公民身份号码 GB 11643")
    DISTRICT_CODE = ("district_code", "行政区划代码")
    DISTRICT_NAME = ("district_name", "行政区划名称")


class Severity(LabelledEnum):
    """A rule's severity: `error` rules block (rows are quarantined, promotion stops on a
    table-level failure); `warning` rules are recorded and the row is loaded."""

    ERROR = ("error", "阻断")
    WARNING = ("warning", "警告")


# Nantong (reference city) county-level codes. Current codes are valid; retired codes are
# mapped to their successor during standardization.
CURRENT_DISTRICTS: dict[str, str] = {
    "320612": "通州区",
    "320613": "崇川区",
    "320614": "海门区",
    "320623": "如东县",
    "320681": "启东市",
    "320682": "如皋市",
    "320685": "海安市",
}
RETIRED_DISTRICTS: dict[str, tuple[str, str]] = {
    # retired code: (former name, successor code)
    "320602": ("崇川区", "320613"),
    "320611": ("港闸区", "320613"),
    "320621": ("海安县", "320685"),
    "320683": ("通州市", "320612"),
    "320684": ("海门市", "320614"),
}
CITY_CODE = "320600"
