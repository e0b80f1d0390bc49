"""The dataset page as HTML (not pixels): the data items as a table, the request panel."""

from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.ckan

COLUMN_LABELS = ["中文名称", "字段名", "类型", "必填", "主键", "个人信息"]


def page(world, path: str, role: str | None = None) -> str:
    headers = {"Authorization": world.tokens[role]} if role else {}
    response = requests.get(f"{world.url}{path}", headers=headers, timeout=30)
    assert response.status_code == 200, f"{path}: HTTP {response.status_code}"
    return response.text


def test_public_dataset_page_shows_data_items_as_a_table(world):
    html = page(world, f"/dataset/{world.datasets['public']}")
    assert 'id="data-items"' in html, "the data items section is missing"
    table = html.split('id="data-items"', 1)[1].split("</table>", 1)[0]
    for label in COLUMN_LABELS:
        assert f">{label}</th>" in table, f"column header {label} missing in the data items table"
    assert "<code>uscc</code>" in table and "统一社会信用代码" in table
    assert "法定代表人姓名" in table and ">个人信息</td>" in table, "personal_info shown by its label"
    assert '"personal_info"' not in html, "the raw data_items JSON must not be shown"
    assert "登录后可申请" in html, "anonymous users are invited to log in, nothing else"
    assert "申请共享" not in html and "申请授权" not in html


def test_department_user_sees_the_request_panel_on_a_private_dataset(world):
    html = page(world, f"/dataset/{world.datasets['private']}", role="c_member")
    assert 'id="data-items"' in html
    assert "ybz-request-panel" in html and "登录后可申请" not in html
    # A dataset made directly in CKAN is not in the registry: the API refuses it with its reason.
    panel = html.split("ybz-request-panel", 1)[1].split("</section>", 1)[0]
    assert "不可申请" in panel or "申请共享" in panel, panel


def test_header_links_for_logged_in_users(world):
    html = page(world, "/dataset/", role="c_admin")
    for label in ("我的申请", "我的授权", "待我审批", "授权运营主体登记"):
        assert label in html, f"header link {label} missing for a department CDO"
    plain = page(world, "/dataset/", role="plain")
    assert "我的申请" in plain and "待我审批" not in plain, "approvals are offered to CDOs and stewards only"
