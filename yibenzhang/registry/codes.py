"""Resource codes (赋码) per 政务信息资源目录编制指南: 前段码 / 后段码.

    {category path}/{provider code}{sequence:04d}      e.g. 101002/1020210001

前段码 = the category 类+项+目(+细目); 后段码 = the provider's 6-digit code + a 4-digit sequence
number allocated per (category path, provider code). The last number used is kept in
`CodeSequence`, so a number is never handed out twice, even after its resource is withdrawn.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yibenzhang.registry.models import CodeSequence

MAX_SEQUENCE = 9999
_CODE = re.compile(r"^(?P<category>\d{6,})/(?P<provider>\d{6})(?P<seq>\d{4})$")
_CKAN_NAME = re.compile(r"^[a-z0-9_-]{2,100}$")


class CodeError(ValueError):
    """A malformed resource code or an exhausted sequence."""


def format_code(category_path: str, provider_code: str, seq: int) -> str:
    if not re.fullmatch(r"\d{6,}", category_path):
        raise CodeError(f"category path {category_path!r} must be 类+项+目(+细目) digits, at least 6")
    if not re.fullmatch(r"\d{6}", provider_code):
        raise CodeError(f"provider code {provider_code!r} must be 6 digits")
    if not 1 <= seq <= MAX_SEQUENCE:
        raise CodeError(f"sequence {seq} outside 1..{MAX_SEQUENCE}")
    return f"{category_path}/{provider_code}{seq:04d}"


def parse_code(code: str) -> tuple[str, str, int]:
    """(category path, provider code, sequence) of a resource code."""
    match = _CODE.match(code)
    if not match:
        raise CodeError(f"{code!r} is not a resource code like 101002/1020210001")
    return match["category"], match["provider"], int(match["seq"])


def allocate_code(session: Session, category_path: str, provider_code: str) -> str:
    """The next code for (category path, provider code); the number is consumed for good.

    On PostgreSQL the sequence row is locked (SELECT ... FOR UPDATE) until the caller's
    transaction ends, so concurrent approvals get distinct numbers.
    """
    sequence = _locked_sequence(session, category_path, provider_code)
    if sequence is None:
        # First code of this pair. A concurrent transaction may create the row first: the
        # savepoint lets us fall back to locking the row it created.
        try:
            with session.begin_nested():
                session.add(CodeSequence(category_path=category_path, provider_code=provider_code, last_seq=0))
        except IntegrityError:
            pass
        sequence = _locked_sequence(session, category_path, provider_code)
        if sequence is None:
            raise CodeError(
                f"the code sequence row for category {category_path} and provider {provider_code} "
                "could not be created or found"
            )
    if sequence.last_seq >= MAX_SEQUENCE:
        raise CodeError(
            f"no sequence number left for category {category_path} and provider {provider_code}"
        )
    sequence.last_seq += 1
    code = format_code(category_path, provider_code, sequence.last_seq)
    session.flush()
    return code


def _locked_sequence(session: Session, category_path: str, provider_code: str) -> CodeSequence | None:
    return session.execute(
        select(CodeSequence)
        .where(CodeSequence.category_path == category_path, CodeSequence.provider_code == provider_code)
        .with_for_update()
    ).scalar_one_or_none()


def ckan_name(resource_code: str) -> str:
    """A CKAN dataset name for a resource code: `ybz-101002-1020210001` (lowercase, url-safe)."""
    category, provider, seq = parse_code(resource_code)
    name = f"ybz-{category}-{provider}{seq:04d}".lower()
    # Digits and dashes only, so this cannot fail unless `_CODE` is loosened: then say so.
    if not _CKAN_NAME.match(name):
        raise CodeError(f"resource code {resource_code!r} gives {name!r}, not a valid CKAN name")
    return name
