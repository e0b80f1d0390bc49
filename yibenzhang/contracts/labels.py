"""Chinese labels for contract fields and for the fixed (non-vocabulary) values a contract uses.

The catalog vocabulary enums carry their own labels (yibenzhang.vocabulary); this adds the
labels of the catalog block's field names and of the Literal values in the contract model.
"""

from __future__ import annotations

from yibenzhang.vocabulary import CodeRule

CATALOG_FIELD_LABELS: dict[str, str] = {
    "resource_name": "信息资源名称",
    "category": "信息资源分类",
    "resource_attribute": "资源属性",
    "provider": "信息资源提供方",
    "provider_code": "提供方代码",
    "summary": "信息资源摘要",
    "format": "信息资源格式",
    "share_type": "共享类型",
    "share_condition": "共享条件",
    "share_basis": "不予共享依据",
    "share_method": "共享方式",
    "open_type": "开放属性",
    "open_condition": "开放条件",
    "update_cycle": "更新周期",
    "publish_date": "发布日期",
    "related_resource_codes": "关联资源代码",
    "responsible_department": "责任部门",
    "cooperating_departments": "协同部门",
    "security_level": "数据分级",
}

# The code rules are an enum with their own labels; this table keeps them beside the others.
CODE_RULE_LABELS: dict[str, str] = {rule.value: rule.label for rule in CodeRule}

LOGICAL_TYPE_LABELS: dict[str, str] = {
    "string": "字符串",
    "integer": "整数",
    "number": "数值",
    "date": "日期",
    "timestamp": "时间戳",
    "boolean": "布尔",
}

METRIC_LABELS: dict[str, str] = {
    "nullValues": "空值",
    "missingValues": "缺失值",
    "invalidValues": "无效值",
    "duplicateValues": "重复值",
    "rowCount": "行数",
}

# Column value options (`approximate`, `normalize`; contracts/README §2.3).
VALUE_OPTION_LABELS: dict[str, str] = {
    "allow": "近似值照常入库并提示",
    "reject": "近似值不入库",
    "identifier": "标识符规范化",
}

# Labels for any Literal value shown in a message (values are unique across these tables).
LITERAL_LABELS: dict[str, str] = {**CODE_RULE_LABELS, **LOGICAL_TYPE_LABELS, **METRIC_LABELS,
                                  **VALUE_OPTION_LABELS}
