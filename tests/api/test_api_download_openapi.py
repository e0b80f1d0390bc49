"""Downloads stream the delivered file unchanged with the right headers; /openapi.json lists
every route of docs/governance.md."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from api_helpers import signed

from yibenzhang.api.downloads import content_disposition
from yibenzhang.governance.errors import Forbidden

DESIGN = Path(__file__).resolve().parents[2] / "docs" / "governance.md"


@pytest.fixture
def delivered(tmp_path) -> dict[str, Path]:
    folder = tmp_path / "deliveries" / "12" / "v20260105"
    folder.mkdir(parents=True)
    csv = folder / "data.csv"
    csv.write_bytes("\ufeff姓名,街道\n张*,和平桥街道\n".encode())
    parquet = folder / "data.parquet"
    parquet.write_bytes(b"PAR1" + bytes(range(256)) + b"PAR1")
    return {"csv": csv, "parquet": parquet}


def test_csv_download_keeps_the_bom_and_names_the_file_in_chinese(client, governance, delivered):
    governance.answers["download"] = lambda p, rid, fmt: delivered[fmt]
    resp = client.get("/requests/12/download?format=csv", headers=signed("alice"))
    assert resp.status_code == 200, resp.text
    assert resp.content == delivered["csv"].read_bytes(), "the file must be sent byte for byte"
    assert resp.content.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    assert resp.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = resp.headers["content-disposition"]
    assert disposition.startswith("attachment; ")
    (encoded,) = re.findall(r"filename\*=UTF-8''(\S+)", disposition)
    assert unquote(encoded) == "授权数据-12-v20260105.csv"
    (fallback,) = re.findall(r'filename="([^"]+)"', disposition)
    assert fallback.isascii() and fallback.endswith(".csv"), disposition
    assert governance.called("download")[0][0][1:] == (12, "csv")


def test_parquet_download_has_its_media_type(client, governance, delivered):
    governance.answers["download"] = lambda p, rid, fmt: delivered[fmt]
    resp = client.get("/requests/12/download?format=parquet", headers=signed("alice"))
    assert resp.headers["content-type"] == "application/vnd.apache.parquet"
    assert resp.content == delivered["parquet"].read_bytes()


def test_csv_is_the_default_and_unknown_formats_are_422(client, governance, delivered):
    governance.answers["download"] = lambda p, rid, fmt: delivered[fmt]
    assert client.get("/requests/12/download", headers=signed("alice")).headers["content-type"].startswith("text/csv")
    assert client.get("/requests/12/download?format=xlsx", headers=signed("alice")).status_code == 422


def test_refused_download_is_json_not_a_file(client, governance):
    governance.answers["download"] = Forbidden("无权查看或处理申请 #12")
    resp = client.get("/requests/12/download", headers=signed("mallory"))
    assert resp.status_code == 403 and resp.json() == {"detail": "无权查看或处理申请 #12"}


def test_content_disposition_quotes_whatever_the_name_holds():
    header = content_disposition('报表 "一季度";v1.csv')
    assert '"一季度"' not in header and ";v1" not in header.split("filename*=")[0].split('filename="')[1]
    assert unquote(header.split("UTF-8''")[1]) == '报表 "一季度";v1.csv'
    assert content_disposition("data.csv") == "attachment; filename=\"data.csv\"; filename*=UTF-8''data.csv"


def design_routes() -> set[tuple[str, str]]:
    """(METHOD, path with parameters as {}) of the HTTP API table of docs/governance.md."""
    routes = set()
    for method, path in re.findall(r"^\| (GET|POST|PUT|DELETE) \| `([^`]+)` \|", DESIGN.read_text(encoding="utf-8"),
                                   re.MULTILINE):
        path = path.split("?")[0]
        alternatives = re.search(r"\{([a-z_]+(?:\|[a-z_]+)+)\}", path)
        variants = ([path.replace(alternatives.group(0), a) for a in alternatives.group(1).split("|")]
                    if alternatives else [path])
        routes |= {(method, re.sub(r"\{[a-z_]+\}", "{}", v)) for v in variants}
    return routes


def test_openapi_lists_every_route_of_the_design(client):
    wanted = design_routes()
    assert len(wanted) >= 18, f"the design table was not read: {sorted(wanted)}"
    spec = client.get("/openapi.json").json()
    served = {(m.upper(), re.sub(r"\{[a-z_]+\}", "{}", p)) for p, ops in spec["paths"].items() for m in ops}
    assert wanted - served == set(), f"routes of docs/governance.md missing from the API: {sorted(wanted - served)}"
    assert served - wanted == set(), f"routes not in docs/governance.md: {sorted(served - wanted)}"
    assert spec["info"]["title"] == "一本账 数据共享与授权运营服务"
    schemes = spec["components"]["securitySchemes"]
    assert {s["name"] for s in schemes.values()} == {"X-Ybz-Claims", "X-Ybz-Signature", "Authorization"}
