"""Helpers for ingest tests: contracts built in code from the template's envelope."""

from __future__ import annotations

import copy
from pathlib import Path

import duckdb
import yaml
from open_data_contract_standard.model import OpenDataContractStandard

from yibenzhang.contracts.model import Contract

TEMPLATE = Path(__file__).resolve().parents[2] / "contracts" / "_template.yaml"


def prop(name: str, header: str | None = None, type_: str = "string", **custom) -> dict:
    """A schema property; `required`/`primaryKey` go to ODCS, anything else to customProperties."""
    p = {"name": name, "physicalName": header or name, "businessName": header or name,
         "logicalType": type_}
    for key in ("required", "primaryKey"):
        if key in custom:
            p[key] = custom.pop(key)
    if custom:
        p["customProperties"] = [{"property": k, "value": v} for k, v in custom.items()]
    return p


def build_contract(properties: list[dict], **server) -> Contract:
    data = copy.deepcopy(yaml.safe_load(TEMPLATE.read_text(encoding="utf-8")))
    data["schema"][0]["properties"] = properties
    data["schema"][0]["quality"] = []
    srv = {"server": "delivery", "type": "local", "format": "csv", "path": "*.csv",
           "encoding": "auto", "delimiter": ","}
    extra = {k: server.pop(k) for k in ("sheet", "header_row", "table") if k in server}
    srv.update(server)
    if extra:
        srv["customProperties"] = [{"property": k, "value": v} for k, v in extra.items()]
    data["servers"] = [srv]
    return Contract.from_odcs(OpenDataContractStandard.model_validate(data))


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def standardized(columns: list[dict], values: list[dict], problem: dict[int, str] | None = None):
    """A raw table of `values` (one dict per row, keyed by column name; `problem` marks rows as
    malformed by row number) standardized into `std`; returns the connection."""
    from yibenzhang.ingest.read import create_raw_table
    from yibenzhang.ingest.standardize import standardize

    contract = build_contract(columns)
    con = duckdb.connect()
    create_raw_table(con, contract, "raw")
    names = [c.name for c in contract.columns]
    for i, v in enumerate(values, start=1):
        con.execute(f"INSERT INTO raw VALUES ({', '.join('?' for _ in range(len(names) + 4))})",
                    [v.get(n) for n in names] + ["f.csv", i, i + 1, (problem or {}).get(i)])
    standardize(con, contract, "raw", "std")
    return con
