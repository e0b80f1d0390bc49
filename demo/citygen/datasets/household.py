"""市公安局 户籍人口: one UTF-8 CSV (no BOM) of registered residents. Core data (核心数据):
every column but the district is personal information; ID numbers and names are sensitive."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from citygen import codes
from citygen import defects as d
from citygen.dataset import DatasetOutput, DeliveredFile
from citygen.defects import Defect, Record
from citygen.writers import write_csv

PATH = "gaj/huji_renkou.csv"
COLUMNS = {
    "公民身份号码": "citizen_id",
    "姓名": "name",
    "性别": "sex",
    "出生日期": "birth_date",
    "民族": "ethnicity",
    "户号": "household_no",
    "户籍地址区县代码": "district_code",
    "户籍地址": "address",
    "登记日期": "registered_on",
}
ETHNICITIES = ["汉族"] * 40 + ["回族", "满族", "蒙古族", "壮族", "土家族", "苗族"]
HOUSEHOLDS = 190  # residents are grouped in households sharing 户号 and address


def _residents(rng: random.Random) -> list[Record]:
    records, used = [], set()
    for number in range(HOUSEHOLDS):
        district = rng.choice(list(codes.CURRENT_DISTRICTS))
        household_no = f"{district}{number + 1:06d}"[-9:]
        address = codes.address(rng, district)
        surname = rng.choice(codes.SURNAMES)
        head_birth = codes.random_date(rng, dt.date(1983, 1, 1), dt.date(1999, 12, 31))
        members = [head_birth] + [codes.random_date(rng, dt.date(2005, 1, 1), dt.date(2025, 5, 31))
                                  for _ in range(rng.choice([0, 1, 1, 2, 2, 3]))]
        for i, birth in enumerate(members):
            male = rng.random() < 0.5
            while True:
                citizen_id = codes.make_ric(rng, birth, male)
                if citizen_id not in used:
                    used.add(citizen_id)
                    break
            given = codes.person_name(rng)[1:]
            registered = max(birth, dt.date(2001, 1, 1)) + dt.timedelta(days=rng.randint(0, 2000))
            records.append(Record({
                "公民身份号码": citizen_id,
                "姓名": (surname if i == 0 or rng.random() < 0.8 else rng.choice(codes.SURNAMES)) + given,
                "性别": "男" if male else "女",
                "出生日期": birth.isoformat(),
                "民族": rng.choice(ETHNICITIES),
                "户号": household_no,
                "户籍地址区县代码": district,
                "户籍地址": address,
                "登记日期": min(registered, dt.date(2025, 6, 29)).isoformat(),
            }))
    return records


def _date_variant(record: Record, rng: random.Random) -> Defect:
    clean = record.values["出生日期"]
    record.values["出生日期"] = d.date_variant(dt.date.fromisoformat(clean), rng)
    return Defect("date_format", "出生日期", record.values["出生日期"], clean)


def _old(record: Record) -> bool:
    year = int(record.values["登记日期"][:4])
    return codes.code_in_force(record.values["户籍地址区县代码"], year) != record.values["户籍地址区县代码"]


def _retired(record: Record, rng: random.Random) -> Defect:
    clean = record.values["户籍地址区县代码"]
    record.values["户籍地址区县代码"] = codes.code_in_force(clean, int(record.values["登记日期"][:4]))
    return Defect("retired_code", "户籍地址区县代码", record.values["户籍地址区县代码"], clean)


def _future(record: Record, rng: random.Random) -> Defect:
    day = dt.date.fromisoformat(record.values["登记日期"])
    record.values["登记日期"] = day.replace(year=2052).isoformat()
    return Defect("future_date", "登记日期", record.values["登记日期"], detail="year mistyped")


def _change_name(values: dict, rng: random.Random) -> str:
    old = values["姓名"]
    while values["姓名"] == old:  # same ID, another name: a re-registration gone wrong
        values["姓名"] = old[0] + codes.person_name(rng)[1:]
    return "姓名"


def build(rng: random.Random, out_dir: Path) -> DatasetOutput:
    records = _residents(rng)
    def ends_x(r) -> bool:
        return r.values["公民身份号码"].endswith("X")
    d.inject(records, rng, 6, d.whitespace("姓名"))
    d.inject(records, rng, 4, d.lowercase("公民身份号码"), ends_x)
    d.inject(records, rng, 8, _date_variant)
    d.inject(records, rng, 6, _retired, _old)
    d.inject(records, rng, 3, d.fullwidth("户籍地址区县代码"))
    d.inject(records, rng, 8, d.set_value("bad_check_digit", "公民身份号码", lambda v, r: codes.corrupt_ric(v)))
    d.inject(records, rng, 3, d.missing("姓名"))
    d.inject(records, rng, 4, d.bad_enum("性别", ["M", "F", "男性", "未知"]))
    d.inject(records, rng, 3, _future)
    d.add_key_duplicates(records, rng, 4, ["公民身份号码"], _change_name)
    d.add_exact_duplicates(records, rng, 3)
    d.number_rows(records, [(PATH, len(records))])

    write_csv(out_dir / PATH, list(COLUMNS), records, encoding="utf-8")
    files = [DeliveredFile(PATH, "csv", encoding="utf-8", line_end="LF")]
    return DatasetOutput("household_population", "户籍人口", "市公安局", COLUMNS, records, files)
