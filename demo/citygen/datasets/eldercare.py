"""市民政局 养老机构: a SQLite database (minzheng.db) with the department's pinyin-abbreviated
column names, read through SQLAlchemy; row number = rowid. A code table xzqh sits beside it."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from citygen import codes
from citygen import defects as d
from citygen.dataset import DatasetOutput, DeliveredFile
from citygen.defects import Defect, Record
from citygen.writers import write_sqlite

PATH = "mzj/minzheng.db"
TABLE = "yanglao_jigou"
COLUMNS = {
    "jgmc": "institution_name",
    "tyshxydm": "uscc",
    "xzqh_dm": "district_code",
    "dz": "address",
    "jglx": "institution_type",
    "cws": "beds",
    "fzr": "manager",
    "lxdh": "phone",
    "clrq": "established_on",
    "updated_at": "updated_at",
}
DDL = [
    f"""CREATE TABLE {TABLE} (
        id INTEGER PRIMARY KEY,  -- 内部流水号
        jgmc TEXT,               -- 机构名称
        tyshxydm TEXT,           -- 统一社会信用代码
        xzqh_dm TEXT,            -- 行政区划代码
        dz TEXT,                 -- 地址
        jglx TEXT,               -- 机构类型
        cws INTEGER,             -- 床位数
        fzr TEXT,                -- 负责人
        lxdh TEXT,               -- 联系电话
        clrq TEXT,               -- 成立日期
        updated_at TEXT          -- 更新时间
    )""",
    "CREATE TABLE xzqh (dm TEXT PRIMARY KEY, mc TEXT, zt TEXT)",
]
TYPES = ["公办"] * 3 + ["民办"] * 5 + ["公建民营"] * 2
SUFFIXES = ["敬老院", "养老院", "颐养中心", "老年公寓", "康养中心", "护理院", "社会福利中心"]
BASE_ROWS = 240


def _institution(rng: random.Random, used: set[str]) -> Record:
    district = rng.choice(list(codes.CURRENT_DISTRICTS))
    established = codes.random_date(rng, dt.date(1995, 1, 1), dt.date(2025, 5, 31))
    kind = rng.choice(TYPES)
    authority = "12" if kind == "公办" else "52"  # 事业单位 / 民办非企业单位 registration
    while True:
        uscc = codes.make_uscc(rng, codes.code_in_force(district, established.year), authority=authority)
        if uscc not in used:
            used.add(uscc)
            break
    updated = dt.datetime(2025, 6, 1) + dt.timedelta(minutes=rng.randint(0, 29 * 24 * 60))
    return Record({
        "jgmc": f"南通市{rng.choice(codes.TOWNS[district])[0]}{rng.choice(codes.TRADE_NAMES)}{rng.choice(SUFFIXES)}",
        "tyshxydm": uscc,
        "xzqh_dm": district,
        "dz": codes.address(rng, district),
        "jglx": kind,
        "cws": rng.choice([30, 40, 50, 60, 80, 100, 120, 150, 200, 260, 300, 450, 600]),
        "fzr": codes.person_name(rng),
        "lxdh": codes.mobile(rng) if rng.random() < 0.6 else codes.landline(rng),
        "clrq": established.isoformat(),
        "updated_at": f"{updated:%Y-%m-%d %H:%M:%S}",
    })


def _old(record: Record) -> bool:
    year = int(record.values["clrq"][:4])
    return codes.code_in_force(record.values["xzqh_dm"], year) != record.values["xzqh_dm"]


def _retired(record: Record, rng: random.Random) -> Defect:
    clean = record.values["xzqh_dm"]
    record.values["xzqh_dm"] = codes.code_in_force(clean, int(record.values["clrq"][:4]))
    return Defect("retired_code", "xzqh_dm", record.values["xzqh_dm"], clean)


def _big_home(record: Record, rng: random.Random) -> Defect:
    beds = rng.choice([1000, 1050, 1200, 1500])
    record.values["cws"] = f"{beds:,}"  # TEXT in an INTEGER column: SQLite keeps it as typed
    return Defect("thousands_separator", "cws", record.values["cws"], str(beds))


def _date_variant(record: Record, rng: random.Random) -> Defect:
    clean = record.values["clrq"]
    record.values["clrq"] = d.date_variant(dt.date.fromisoformat(clean), rng)
    return Defect("date_format", "clrq", record.values["clrq"], clean)


def _bad_phone(record: Record, rng: random.Random) -> Defect:
    record.values["lxdh"] = rng.choice([record.values["lxdh"][:-2], "8512" + str(rng.randint(1000, 9999)), "暂无", "0513-"])
    return Defect("bad_pattern", "lxdh", record.values["lxdh"], detail="not a phone number; the pattern rule is a warning")


def _change_beds(values: dict, rng: random.Random) -> str:
    values["cws"] += rng.choice([10, 20, 50])
    return "cws"


def build(rng: random.Random, out_dir: Path) -> DatasetOutput:
    used: set[str] = set()
    records = [_institution(rng, used) for _ in range(BASE_ROWS)]
    def has_letter(r) -> bool:
        return any(c.isalpha() for c in r.values["tyshxydm"])
    d.inject(records, rng, 5, d.whitespace("jgmc"))
    d.inject(records, rng, 5, _retired, _old)
    d.inject(records, rng, 6, _date_variant)
    d.inject(records, rng, 3, _big_home)
    d.inject(records, rng, 3, d.lowercase("tyshxydm"), has_letter)
    d.inject(records, rng, 2, d.missing("jgmc", None))
    d.inject(records, rng, 3, d.missing("tyshxydm", None))
    d.inject(records, rng, 4, d.set_value("bad_check_digit", "tyshxydm", lambda v, r: codes.corrupt_uscc(v)))
    d.inject(records, rng, 4, d.bad_enum("jglx", ["私营", "公办民营", "其他", "民营"]))
    d.inject(records, rng, 5, _bad_phone)
    d.add_key_duplicates(records, rng, 3, ["tyshxydm"], _change_beds)
    d.add_exact_duplicates(records, rng, 3)
    d.number_rows(records, [(PATH, len(records))])

    districts = [(c, n, "现行") for c, n in codes.CURRENT_DISTRICTS.items()]
    districts += [(c, name, f"已撤销，并入{succ}") for c, (name, succ, _) in codes.RETIRED_DISTRICTS.items()]
    write_sqlite(out_dir / PATH, DDL, TABLE, list(COLUMNS), records, {"xzqh": districts})
    files = [DeliveredFile(PATH, "sqlite", table=TABLE)]
    return DatasetOutput("eldercare_institutions", "养老机构", "市民政局", COLUMNS, records, files)
