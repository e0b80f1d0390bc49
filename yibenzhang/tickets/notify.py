"""E-mail to the departments' CDOs (首席数据官) about new, reopened and overdue tickets.

Who: the library has no CKAN to ask, so the addresses come from a YAML file
(`settings.ticket_recipients_path`, default `<home>/config/ticket_recipients.yaml`):

    # provider code (提供方代码) of the department: its CDO's address(es)
    "102021": cdo@scjgj.nantong.gov.cn
    "102007": [cdo@gaj.nantong.gov.cn, deputy@gaj.nantong.gov.cn]

A department with no address gets portal notifications only. How: `smtplib` to the settings'
server (`smtp_host`, `smtp_port`, `smtp_starttls`, `smtp_user` / `smtp_password`), one message
per recipient listing every ticket waiting for it, so ten new tickets are one e-mail.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import yaml

from yibenzhang.settings import Settings
from yibenzhang.tickets.sla import CITY_TIME
from yibenzhang.tickets.states import NotificationEvent, TicketSeverity

_ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


class RecipientsError(ValueError):
    """The recipients file cannot be read as {provider code: address or [addresses]}."""


def load_recipients(path: Path) -> dict[str, list[str]]:
    """{provider code: [addresses]} of the file; no file: {}."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        raise RecipientsError(f"工单通知收件人文件 {path} 不是有效的 YAML：{error}") from None
    if not isinstance(data, Mapping):
        raise RecipientsError(f"工单通知收件人文件 {path} 应为“提供方代码: 邮箱”的映射")
    found: dict[str, list[str]] = {}
    for code, addresses in data.items():
        listed = [addresses] if isinstance(addresses, str) else addresses
        if not isinstance(listed, list) or not all(isinstance(a, str) for a in listed):
            raise RecipientsError(f"工单通知收件人文件 {path}：{code} 的取值应为邮箱或邮箱列表")
        bad = [a for a in listed if not _ADDRESS.match(a.strip())]
        if bad:
            raise RecipientsError(f"工单通知收件人文件 {path}：{code} 的邮箱地址无效：{'、'.join(bad)}")
        found[str(code)] = [a.strip() for a in listed]
    return found


@dataclass(frozen=True)
class NoticeItem:
    """One ticket in an e-mail."""

    ticket_id: int
    event: str
    dataset_id: str
    title: str
    severity: str
    affected_rows: int
    due_at: datetime
    samples: Sequence[str]
    suggested_fix: str


def _local(at: datetime) -> str:
    return at.astimezone(CITY_TIME).strftime("%Y-%m-%d %H:%M")


def compose(sender: str, recipient: str, items: Sequence[NoticeItem]) -> EmailMessage:
    """One message telling a recipient of its tickets, grouped by what happened."""
    counts = {e: sum(1 for i in items if i.event == e.value) for e in NotificationEvent}
    summary = "，".join(f"{e.label} {n} 件" for e, n in counts.items() if n)
    message = EmailMessage()
    message["Subject"] = f"【一本账】数据质量问题工单提醒：{summary}"
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    lines = ["您好：", "", f"贵部门提供的数据有以下问题工单需要处理（{summary}）。请在一本账门户的“问题工单”中确认受理、",
             "整改后标记已整改；如认为规则有误或取值属实，可提出异议。工单只在下一次运行复核通过后关闭。", ""]
    for item in sorted(items, key=lambda i: (i.event, i.ticket_id)):
        severity = TicketSeverity(item.severity).label if item.severity in TicketSeverity.allowed() else item.severity
        lines += [
            f"【{NotificationEvent(item.event).label}】工单 #{item.ticket_id}  数据集 {item.dataset_id}",
            f"  问题：{item.title}",
            f"  严重程度：{severity}　影响记录：{item.affected_rows} 条　整改期限：{_local(item.due_at)}（北京时间）",
        ]
        lines += [f"  样例：{s}" for s in list(item.samples)[:3]]
        lines += [f"  整改建议：{item.suggested_fix}", ""]
    lines += ["此邮件由南通市公共数据“一本账”系统自动发送，请勿直接回复。"]
    message.set_content("\n".join(lines), charset="utf-8")
    return message


class SmtpUnavailable(RuntimeError):
    """No SMTP server configured, or it could not be reached."""


def send(settings: Settings, messages: Sequence[EmailMessage]) -> dict[str, str | None]:
    """Send over one SMTP connection; {recipient: None if accepted, else why not}. Raises
    SmtpUnavailable when no server is configured or the connection (or login) fails."""
    if not settings.smtp_host:
        raise SmtpUnavailable("未配置 SMTP 服务器（YBZ_SMTP_HOST），邮件未发送")
    results: dict[str, str | None] = {}
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                smtp.login(settings.smtp_user, password)
            for message in messages:
                recipient = str(message["To"])
                try:
                    refused = smtp.send_message(message)
                    results[recipient] = f"服务器拒收：{refused}" if refused else None
                except smtplib.SMTPException as error:
                    results[recipient] = f"发送失败：{error}"
    except (OSError, smtplib.SMTPException) as error:
        raise SmtpUnavailable(f"无法通过 SMTP 服务器 {settings.smtp_host}:{settings.smtp_port} 发送：{error}") from None
    return results


__all__ = ["NoticeItem", "RecipientsError", "SmtpUnavailable", "compose", "load_recipients", "send"]
