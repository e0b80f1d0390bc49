"""Checks of what a caller sends: request terms, columns, row filters, licensee profiles.

Each failure is an `Invalid` (HTTP 422) whose message names the field and the bad value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from stdnum.cn import uscc as uscc_number
from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError

from yibenzhang.contracts.model import Contract
from yibenzhang.governance.delivery import filter_columns
from yibenzhang.governance.errors import Invalid
from yibenzhang.vocabulary import CURRENT_DISTRICTS

MAX_TERM_DAYS = 366  # a term covers at most this many days, both ends counted
MAX_TEXT = 2000
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


class ColumnOptionLike(Protocol):
    """What `delivery.column_options` returns for each column."""

    @property
    def name(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def allowed(self) -> bool: ...
    @property
    def reason(self) -> str | None: ...


def required_text(value: Any, what: str, limit: int = MAX_TEXT) -> str:
    text = str(value).strip() if value is not None else ""
    if not text:
        raise Invalid(f"{what}不能为空")
    if len(text) > limit:
        raise Invalid(f"{what}过长：{len(text)} 个字符，最多 {limit} 个")
    return text


def optional_text(value: Any, what: str, limit: int = MAX_TEXT) -> str | None:
    if value is None or not str(value).strip():
        return None
    return required_text(value, what, limit)


def as_date(value: Any, what: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise Invalid(f"{what} {value!r} 不是日期（应为 YYYY-MM-DD）") from None


def check_term(term_start: Any, term_end: Any, today: date) -> tuple[date, date]:
    start, end = as_date(term_start, "期限起始日"), as_date(term_end, "期限截止日")
    if start < today:
        raise Invalid(f"期限起始日 {start} 早于今天（{today}）")
    if end < start:
        raise Invalid(f"期限截止日 {end} 早于起始日 {start}")
    days = (end - start).days + 1
    if days > MAX_TERM_DAYS:
        raise Invalid(f"期限 {start} 至 {end} 共 {days} 天，最长 {MAX_TERM_DAYS} 天；续期请另行申请")
    return start, end


def choose_columns(resource_id: str, options: Sequence[ColumnOptionLike], requested: Iterable[Any] | None) -> list[str]:
    """The columns the grant carries, in the contract's order; default: every allowed one."""
    by_name = {o.name: o for o in options}
    if requested is None:
        chosen = [o.name for o in options if o.allowed]
        if not chosen:
            raise Invalid(f"资源 {resource_id} 没有可提供的数据项")
        return chosen
    if isinstance(requested, str | bytes) or not isinstance(requested, Iterable):
        raise Invalid("columns 应为数据项名称的列表")
    names = [str(n).strip() for n in requested]
    if not names:
        raise Invalid("columns 为空：至少申请一个数据项（不填则申请全部可提供的数据项）")
    for name in names:
        option = by_name.get(name)
        if option is None:
            raise Invalid(f"资源 {resource_id} 没有数据项 {name!r}")
        if not option.allowed:
            raise Invalid(f"数据项 {name}（{option.label}）不可申请：{option.reason or '不在可提供范围内'}")
    wanted = set(names)
    return [o.name for o in options if o.name in wanted]


def check_row_filter(contract: Contract, row_filter: Any) -> dict[str, Any] | None:
    """`{"column": <a district_code column>, "values": [district codes of the city]}` or None."""
    if row_filter is None:
        return None
    if not isinstance(row_filter, dict) or set(row_filter) - {"column", "values"}:
        raise Invalid('row_filter 应为 {"column": 数据项, "values": [区县代码, ...]}')
    column = str(row_filter.get("column") or "").strip()
    allowed = filter_columns(contract)
    if column not in allowed:
        choices = "、".join(allowed) or "无（该资源没有区县代码数据项）"
        raise Invalid(f"数据项 {column!r} 不能用作行筛选：只能按区县代码数据项筛选，可选 {choices}")
    values = row_filter.get("values")
    if isinstance(values, str) or not isinstance(values, list) or not values:
        raise Invalid("row_filter.values 应为非空的区县代码列表")
    codes = []
    for value in values:
        code = str(value).strip()
        if code not in CURRENT_DISTRICTS:
            known = "、".join(f"{k} {v}" for k, v in CURRENT_DISTRICTS.items())
            raise Invalid(f"区县代码 {code!r} 不是本市现行区县代码（{known}）")
        if code not in codes:
            codes.append(code)
    return {"column": column, "values": sorted(codes)}


def check_uscc(value: Any) -> str:
    text = str(value or "").strip()
    if not text:
        raise Invalid("统一社会信用代码不能为空")
    number = uscc_number.compact(text)
    try:
        return uscc_number.validate(number)
    except InvalidChecksum:
        raise Invalid(f"统一社会信用代码 {text} 无效：校验位不符") from None
    except InvalidLength:
        raise Invalid(f"统一社会信用代码 {text} 无效：应为 18 位") from None
    except ValidationError:
        raise Invalid(f"统一社会信用代码 {text} 无效：格式不符（GB 32100）") from None


def check_phone(value: Any) -> str:
    phone = re.sub(r"[\s()（）]", "", str(value or ""))
    if not (_MOBILE.match(phone) or _LANDLINE.match(phone)):
        raise Invalid(f"联系电话 {value!r} 无效：应为 11 位手机号或带区号的固定电话")
    return phone


def check_email(value: Any) -> str:
    email = str(value or "").strip()
    if len(email) > 200 or not _EMAIL.match(email):
        raise Invalid(f"联系邮箱 {value!r} 无效")
    return email


__all__ = [
    "MAX_TERM_DAYS",
    "as_date",
    "check_email",
    "check_phone",
    "check_row_filter",
    "check_term",
    "check_uscc",
    "choose_columns",
    "optional_text",
    "required_text",
]
