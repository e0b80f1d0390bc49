"""市市场监督管理局 企业登记信息: two GBK CSV parts with CRLF line ends, a totals line at the end."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from citygen import codes
from citygen import defects as d
from citygen.dataset import DatasetOutput, DeliveredFile
from citygen.defects import Defect, Record
from citygen.writers import write_csv

HEADERS = {
    "统一社会信用代码": "uscc",
    "企业名称": "enterprise_name",
    "法定代表人": "legal_rep",
    "法定代表人身份证号": "legal_rep_id",
    "注册资本(万元)": "registered_capital",
    "成立日期": "established_on",
    "所属区县代码": "district_code",
    "住所": "address",
    "登记状态": "status",
    "行业代码": "industry_code",
}
STATUSES = ["存续"] * 12 + ["在业"] * 5 + ["迁出", "吊销", "注销", "注销"]
BASE_ROWS = 480
_HALF = {0xFF10 + i: ord(str(i)) for i in range(10)}  # full-width digits back to ASCII, for the total
PARTS = ("scjgj/qiye_dengji_part1.csv", "scjgj/qiye_dengji_part2.csv")


def _enterprise(rng: random.Random, used: set[str]) -> Record:
    district = rng.choice(list(codes.CURRENT_DISTRICTS))
    established = codes.random_date(rng, dt.date(2004, 1, 1), dt.date(2025, 6, 28))
    while True:  # a code must never repeat by chance: repeats are injected on purpose only
        region = codes.code_in_force(district, established.year)
        uscc = codes.make_uscc(rng, region, with_letter=established.year >= 2016 or rng.random() < 0.2)
        if uscc not in used:
            used.add(uscc)
            break
    industry, industry_code = rng.choice(codes.INDUSTRIES)
    # an adult at establishment; IDs valid under stdnum need birth years from 1983 (see README)
    birth = codes.random_date(rng, dt.date(1983, 1, 1), dt.date(min(2000, established.year - 20), 12, 31))
    capital = rng.choice([10, 30, 50, 100, 200, 300, 500, 800, 1000, 2000, 5000]) * rng.choice([1, 1, 1.5, 2])
    return Record({
        "统一社会信用代码": uscc,
        "企业名称": f"南通{rng.choice(codes.TRADE_NAMES)}{rng.choice(codes.TRADE_NAMES)}{industry}有限公司",
        "法定代表人": codes.person_name(rng),
        "法定代表人身份证号": codes.make_ric(rng, birth, male=rng.random() < 0.6),
        "注册资本(万元)": f"{capital:.2f}",
        "成立日期": established.isoformat(),
        "所属区县代码": district,
        "住所": codes.address(rng, district),
        "登记状态": rng.choice(STATUSES),
        "行业代码": industry_code,
    })


def _date_variant(record: Record, rng: random.Random) -> Defect:
    clean = record.values["成立日期"]
    record.values["成立日期"] = d.date_variant(dt.date.fromisoformat(clean), rng)
    return Defect("date_format", "成立日期", record.values["成立日期"], clean)


def _old_record(record: Record) -> bool:
    """Retired district codes appear only in records older than the code's abolition."""
    year = int(record.values["成立日期"][:4])
    return any(year <= last for _, succ, last in codes.RETIRED_DISTRICTS.values()
               if succ == record.values["所属区县代码"])


def _retired(record: Record, rng: random.Random) -> Defect:
    year = int(record.values["成立日期"][:4])
    clean = record.values["所属区县代码"]
    options = [c for c, (_, succ, last) in codes.RETIRED_DISTRICTS.items() if succ == clean and year <= last]
    record.values["所属区县代码"] = rng.choice(options)
    return Defect("retired_code", "所属区县代码", record.values["所属区县代码"], clean)


def _big_capital(record: Record) -> bool:
    return float(record.values["注册资本(万元)"]) >= 1000


def _thousands(record: Record, rng: random.Random) -> Defect:
    clean = record.values["注册资本(万元)"]
    record.values["注册资本(万元)"] = d.with_thousands(float(clean), 2)
    return Defect("thousands_separator", "注册资本(万元)", record.values["注册资本(万元)"], clean)


def _future(record: Record, rng: random.Random) -> Defect:
    day = dt.date.fromisoformat(record.values["成立日期"])
    record.values["成立日期"] = day.replace(year=rng.choice([2052, 2062, 2205])).isoformat()
    return Defect("future_date", "成立日期", record.values["成立日期"], detail="year mistyped")


def _change_capital(values: dict, rng: random.Random) -> str:
    values["注册资本(万元)"] = f"{float(values['注册资本(万元)']) + rng.choice([50, 100, 500]):.2f}"
    return "注册资本(万元)"


def build(rng: random.Random, out_dir: Path) -> DatasetOutput:
    used: set[str] = set()
    records = [_enterprise(rng, used) for _ in range(BASE_ROWS)]
    def has_letter(r) -> bool:
        return any(c.isalpha() for c in r.values["统一社会信用代码"])
    d.inject(records, rng, 8, d.whitespace("企业名称"))
    d.inject(records, rng, 5, d.whitespace("统一社会信用代码"))
    d.inject(records, rng, 4, d.whitespace("法定代表人"))
    d.inject(records, rng, 4, d.fullwidth("统一社会信用代码"))
    d.inject(records, rng, 4, d.fullwidth("所属区县代码"))
    d.inject(records, rng, 4, d.fullwidth("注册资本(万元)"))
    d.inject(records, rng, 6, d.lowercase("统一社会信用代码"), has_letter)
    d.inject(records, rng, 20, _date_variant)
    d.inject(records, rng, 8, _retired, _old_record)
    d.inject(records, rng, 8, _thousands, _big_capital)
    d.inject(records, rng, 8, d.set_value("bad_check_digit", "统一社会信用代码", lambda v, r: codes.corrupt_uscc(v)))
    d.inject(records, rng, 6, d.set_value("bad_check_digit", "法定代表人身份证号", lambda v, r: codes.corrupt_ric(v),
                                          "not a key: the contract's check is a warning", d.FLAG))
    for header in ("统一社会信用代码", "企业名称", "成立日期"):
        d.inject(records, rng, 3, d.missing(header))
    d.inject(records, rng, 2, d.missing("登记状态"))
    d.inject(records, rng, 5, d.bad_enum("登记状态", ["正常", "开业", "停业", "在营"]))
    d.inject(records, rng, 4, _future)
    d.add_key_duplicates(records, rng, 5, ["统一社会信用代码"], _change_capital)
    d.add_exact_duplicates(records, rng, 6)

    total = sum(float(r.values["注册资本(万元)"].replace(",", "").translate(_HALF)) for r in records
                if r.values["注册资本(万元)"])
    totals = Record({h: "" for h in HEADERS})
    totals.values["企业名称"] = "合计"
    totals.values["注册资本(万元)"] = f"{total:.2f}"
    totals.defects.append(Defect("totals_row", None, "合计", detail="totals line exported below the data"))
    records.append(totals)

    split = len(records) // 2
    d.number_rows(records, [(PARTS[0], split), (PARTS[1], 0)])
    files = []
    for path in PARTS:
        part = [r for r in records if r.file == path]
        write_csv(out_dir / path, list(HEADERS), part, encoding="gbk", line_end="\r\n")
        files.append(DeliveredFile(path, "csv", encoding="gbk", line_end="CRLF"))
    return DatasetOutput("enterprise_registry", "企业登记信息", "市市场监督管理局", HEADERS, records, files)

