"""Deterministic N-row enterprise-registry CSV (GBK) for the benchmarks, with ~1% defects.

The columns are those of `contracts/_template.yaml`. Values are built column-at-a-time with
numpy (digits, check characters) and pyarrow (joining fields into lines), so 5M rows take
seconds, not minutes: no per-row Python. Check characters follow GB 32100 (USCC, including the
GB 11714 organization-code check inside it) and GB 11643 (resident ID).

Output, cached by N and seed (a `meta.json` names both; a mismatch regenerates):
    benchmarks/out/<N>/scjgj/qiye_dengji_1.csv    GBK, what the department delivers
    benchmarks/out/<N>/utf8/qiye_dengji_1.csv     the same bytes in UTF-8 (DuckDB baseline)
    benchmarks/out/<N>/meta.json                  rows, seed, defect counts per kind
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

GENERATOR_VERSION = 1
OUT_ROOT = Path(__file__).resolve().parent / "out"
SOURCE_FILE = Path("scjgj/qiye_dengji_1.csv")  # matches the template's `scjgj/qiye_dengji_*.csv`
UTF8_FILE = Path("utf8/qiye_dengji_1.csv")  # outside the source glob on purpose
CHUNK_ROWS = 250_000

HEADER = ["统一社会信用代码", "企业名称", "法定代表人身份证号", "注册资本(万元)", "成立日期",
          "所属区县代码", "登记状态"]

USCC_ALPHABET = b"0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z
USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])
ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2])  # GB 11714
RIC_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
RIC_CHECK = b"10X98765432"

CURRENT_DISTRICTS = ["320612", "320613", "320614", "320623", "320681", "320682", "320685"]
RETIRED_DISTRICTS = ["320602", "320611", "320621", "320683", "320684"]
# Address codes python-stdnum accepts for every birth year 1991-2004 (its cn/loc database).
RIC_PLACES = ["320623", "320681", "320682"]
STATUSES = ["存续", "在业", "迁出", "吊销", "注销"]
STATUS_WEIGHTS = [0.55, 0.25, 0.05, 0.07, 0.08]
PREFIXES = ["南通", "南通市", "江苏", "如皋", "海安", "启东"]
TRADE_NAMES = ["瑞丰", "通达", "江海", "华宇", "恒信", "金鼎", "福源", "嘉禾", "永盛", "海川", "新润",
               "中天", "鸿运", "德邦", "锦程", "天成", "紫琅", "濠河", "博远", "万通", "宏图", "启航"]
INDUSTRIES = ["纺织", "服装", "机械制造", "电子科技", "船舶工程", "建筑工程", "贸易", "物流",
              "餐饮管理", "软件开发", "家纺", "化工", "食品", "装饰工程", "信息技术", "新能源"]
SUFFIXES = ["有限公司", "股份有限公司", "有限责任公司", "科技有限公司"]
# Date formats of the template's 成立日期 (separator after year, after month, suffix).
DATE_FORMATS = [("-", "-", ""), ("/", "/", ""), ("", "", ""), ("年", "月", "日"), (".", ".", "")]
DATE_FORMAT_WEIGHTS = [0.6, 0.15, 0.1, 0.1, 0.05]

# Defect kinds: each row has at most one. Probabilities sum to ~1%.
DEFECTS = {
    "uscc_bad_check": 0.0012,  # wrong GB 32100 check character -> quarantined (code rule)
    "uscc_duplicate": 0.0010,  # repeats an earlier enterprise's code -> repeated key
    "ric_bad_check": 0.0012,  # wrong GB 11643 check digit -> warning, row loaded
    "name_missing": 0.0010,  # required 企业名称 empty -> quarantined
    "date_unparseable": 0.0010,  # not a date in any declared format -> quarantined
    "date_future": 0.0010,  # after today -> quarantined (notAfter: today)
    "status_invalid": 0.0012,  # not in the 登记状态 code table -> quarantined
    "district_invalid": 0.0012,  # not a current county code -> quarantined
    "capital_negative": 0.0012,  # warning, row loaded
}
DEFECT_KINDS = list(DEFECTS)
# Kinds that break a blocking (severity error) rule: the split quarantines exactly these rows
# (of a repeated key, the occurrences after the first).
BLOCKING_DEFECTS = [k for k in DEFECT_KINDS if k not in ("ric_bad_check", "capital_negative")]


@dataclass
class Generated:
    rows: int
    seed: int
    gbk_path: Path
    utf8_path: Path
    source_root: Path
    defects: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    cached: bool = False


def out_dir(rows: int, root: Path = OUT_ROOT) -> Path:
    return root / str(rows)


def generate(rows: int, seed: int = 20250630, root: Path = OUT_ROOT, force: bool = False) -> Generated:
    """Write (or reuse) the N-row GBK file and its UTF-8 copy; return where they are."""
    if rows < 1:
        raise ValueError(f"rows must be >= 1, got {rows}")
    base = out_dir(rows, root)
    meta_path = base / "meta.json"
    gbk_path, utf8_path = base / SOURCE_FILE, base / UTF8_FILE
    if not force and meta_path.exists() and gbk_path.exists() and utf8_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("seed") == seed and meta.get("version") == GENERATOR_VERSION:
            return Generated(rows, seed, gbk_path, utf8_path, base, meta["defects"],
                             meta["seconds"], cached=True)
    start = time.perf_counter()
    gbk_path.parent.mkdir(parents=True, exist_ok=True)
    utf8_path.parent.mkdir(parents=True, exist_ok=True)
    defects = {k: 0 for k in DEFECT_KINDS}
    header = ",".join(HEADER) + "\r\n"
    with open(gbk_path, "wb") as gbk, open(utf8_path, "wb") as utf8:
        gbk.write(header.encode("gbk"))
        utf8.write(header.encode("utf-8"))
        for first in range(0, rows, CHUNK_ROWS):
            n = min(CHUNK_ROWS, rows - first)
            chunk = _chunk(np.random.default_rng([seed, first]), first, n, rows)
            for kind, count in chunk.defects.items():
                defects[kind] += count
            gbk.write(chunk.lines("gbk"))
            utf8.write(chunk.lines("utf-8"))
    seconds = round(time.perf_counter() - start, 2)
    meta = {"rows": rows, "seed": seed, "version": GENERATOR_VERSION, "defects": defects,
            "seconds": seconds, "gbk_bytes": gbk_path.stat().st_size}
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    return Generated(rows, seed, gbk_path, utf8_path, base, defects, seconds)


# ---- one chunk of rows ----------------------------------------------------------------------


ColumnBuilder = Callable[[str], pa.Array]  # encoding -> binary array of the column


@dataclass
class _Chunk:
    """One chunk's columns: ASCII ones as binary arrays, Chinese ones built per encoding."""

    columns: dict[str, pa.Array | ColumnBuilder]
    defects: dict[str, int]

    def lines(self, encoding: str) -> bytes:
        parts = [c if isinstance(c, pa.Array) else c(encoding) for c in self.columns.values()]
        rows = pc.binary_join_element_wise(*parts, b",")
        return b"\r\n".join(rows.to_pylist()) + b"\r\n"


def _vocab(values: list[str], encoding: str) -> pa.Array:
    return pa.array([v.encode(encoding) for v in values], pa.binary())


def _coded(vocabularies: list[list[str]], indices: list[np.ndarray]) -> ColumnBuilder:
    """A column made by concatenating picks from small Chinese vocabularies."""

    def build(encoding: str) -> pa.Array:
        pieces = [_vocab(v, encoding).take(pa.array(i)) for v, i in zip(vocabularies, indices)]
        return pieces[0] if len(pieces) == 1 else pc.binary_join_element_wise(*pieces, b"")

    return build


def _fixed(chars: np.ndarray) -> pa.Array:
    """An (n, w) uint8 matrix of ASCII codes as a binary array of n strings of width w."""
    chars = np.ascontiguousarray(chars, dtype=np.uint8)
    return pa.array(chars.view(f"S{chars.shape[1]}").ravel(), pa.binary())


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """Non-negative integers as an (n, width) matrix of decimal digits (0-9)."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values.astype(np.int64)[:, None] // powers) % 10


def _base31(values: np.ndarray, width: int) -> np.ndarray:
    powers = 31 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values.astype(np.int64)[:, None] // powers) % 31


def uscc_matrix(index: np.ndarray, region: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Valid USCCs as an (n, 18) matrix of ASCII codes, unique per row index.

    The organization code (positions 9-17) is a bijection of the row index: "MA" + 6 base-31
    characters for ~70% of rows, 8 digits for the rest, so no two rows collide by chance.
    """
    n = len(index)
    alphabet = np.frombuffer(USCC_ALPHABET, dtype=np.uint8)
    ascii_digits = np.frombuffer(b"0123456789", dtype=np.uint8)
    # value of each alphabet letter in GB 11714 (0-9, A=10 ... Z=35)
    org_value = {c: (c - 48 if c < 65 else c - 55) for c in USCC_ALPHABET}
    org_value_of = np.zeros(128, dtype=np.int64)
    for c, v in org_value.items():
        org_value_of[c] = v
    with_letters = rng.random(n) < 0.7
    body = np.empty((n, 8), dtype=np.uint8)
    lettered = _base31((index * 7_368_787 + 90_000_001) % 31**6, 6)  # odd multiplier coprime to 31
    body[:, :2] = np.frombuffer(b"MA", dtype=np.uint8)
    body[:, 2:] = alphabet[lettered]
    numeric = ascii_digits[_digits((index * 48_271 + 10_000_019) % 10**8, 8)]
    body[~with_letters] = numeric[~with_letters]
    org_check = 11 - (org_value_of[body] * ORG_WEIGHTS).sum(axis=1) % 11
    org_char = np.where(org_check == 10, ord("X"), np.where(org_check == 11, ord("0"), org_check + 48))
    code = np.empty((n, 18), dtype=np.uint8)
    code[:, :2] = np.frombuffer(b"91", dtype=np.uint8)
    code[:, 2:8] = region
    code[:, 8:16] = body
    code[:, 16] = org_char
    position = np.full(128, -1, dtype=np.int64)
    position[alphabet] = np.arange(31)
    total = (position[code[:, :17]] * USCC_WEIGHTS).sum(axis=1)
    code[:, 17] = alphabet[(31 - total % 31) % 31]
    return code


def ric_matrix(rng: np.random.Generator, n: int) -> np.ndarray:
    """Valid resident ID numbers (born 1991-2004 in a Nantong county) as an (n, 18) matrix."""
    places = np.array([list(p.encode()) for p in RIC_PLACES], dtype=np.uint8)
    birth = np.datetime64("1991-01-01") + rng.integers(0, 14 * 365, n).astype("timedelta64[D]")
    ymd = _ymd(birth)
    seq = rng.integers(1, 1000, n)
    code = np.empty((n, 18), dtype=np.uint8)
    code[:, :6] = places[rng.integers(0, len(places), n)]
    code[:, 6:14] = _digits(ymd, 8) + 48
    code[:, 14:17] = _digits(seq, 3) + 48
    total = ((code[:, :17].astype(np.int64) - 48) * RIC_WEIGHTS).sum(axis=1)
    code[:, 17] = np.frombuffer(RIC_CHECK, dtype=np.uint8)[total % 11]
    return code


def _ymd(days: np.ndarray) -> np.ndarray:
    """datetime64[D] → integer yyyymmdd."""
    years = days.astype("datetime64[Y]")
    months = days.astype("datetime64[M]")
    y = years.astype(np.int64) + 1970
    m = (months - years).astype(np.int64) + 1
    d = (days - months).astype(np.int64) + 1
    return y * 10000 + m * 100 + d


def _wrong_check(code: np.ndarray, rows: np.ndarray, alphabet: bytes) -> None:
    """Replace the check character of `rows` with another character of `alphabet`."""
    letters = np.frombuffer(alphabet, dtype=np.uint8)
    position = np.full(128, 0, dtype=np.int64)
    position[letters] = np.arange(len(letters))
    code[rows, 17] = letters[(position[code[rows, 17]] + 1) % len(letters)]


def _chunk(rng: np.random.Generator, first: int, n: int, total_rows: int) -> _Chunk:
    index = np.arange(first, first + n, dtype=np.int64)
    p = np.array(list(DEFECTS.values()))
    kind = rng.choice(len(DEFECTS) + 1, size=n, p=np.concatenate([[1 - p.sum()], p]))
    is_kind = {name: np.flatnonzero(kind == i + 1) for i, name in enumerate(DEFECT_KINDS)}
    defects = {name: int(len(rows)) for name, rows in is_kind.items()}

    # 所属区县代码: current codes, ~2% retired ones (standardization maps them to a successor)
    district_codes = np.array([list(c.encode()) for c in CURRENT_DISTRICTS + RETIRED_DISTRICTS],
                              dtype=np.uint8)
    district = rng.integers(0, len(CURRENT_DISTRICTS), n)
    retired = rng.random(n) < 0.02
    district[retired] = len(CURRENT_DISTRICTS) + rng.integers(0, len(RETIRED_DISTRICTS), retired.sum())
    district_chars = district_codes[district]
    district_chars[is_kind["district_invalid"]] = np.frombuffer(b"320699", dtype=np.uint8)

    # 统一社会信用代码: registered in the enterprise's district
    uscc = uscc_matrix(index, district_chars, rng)
    _wrong_check(uscc, is_kind["uscc_bad_check"], USCC_ALPHABET)
    clean = np.flatnonzero(kind == 0)
    dup = is_kind["uscc_duplicate"]
    if len(dup) and len(clean):
        uscc[dup] = uscc[clean[rng.integers(0, len(clean), len(dup))]]
    lower = (rng.random(n) < 0.005) & (uscc >= 65).any(axis=1)  # lower-case: standardized, valid
    uscc_col = _fixed(uscc)
    if lower.any():
        uscc_col = pc.if_else(pa.array(lower), pc.utf8_lower(uscc_col.cast(pa.string())).cast(pa.binary()),
                              uscc_col)

    ric = ric_matrix(rng, n)
    _wrong_check(ric, is_kind["ric_bad_check"], RIC_CHECK)

    # 注册资本(万元): log-normal, two decimals; ~3% of large ones written "12,345.00" (quoted)
    capital = np.round(rng.lognormal(5.5, 1.5, n), 2)
    capital[is_kind["capital_negative"]] *= -1
    capital_col = pc.cast(pa.array(capital), pa.string()).cast(pa.binary())
    grouped = (rng.random(n) < 0.03) & (capital >= 1000)
    if grouped.any():  # few rows: Python formatting is fine here
        texts = pa.array([f'"{v:,.2f}"'.encode() for v in capital[grouped]], pa.binary())
        capital_col = pc.replace_with_mask(capital_col, pa.array(grouped), texts)

    # 成立日期: 1990-2024 in the template's five formats
    established = np.datetime64("1990-01-01") + rng.integers(0, 35 * 365, n).astype("timedelta64[D]")
    established[is_kind["date_future"]] = np.datetime64("2031-05-01")
    ymd = _ymd(established)
    yyyy, mm, dd = (_fixed(_digits(v, w) + 48) for v, w in
                    ((ymd // 10000, 4), (ymd // 100 % 100, 2), (ymd % 100, 2)))
    fmt = rng.choice(len(DATE_FORMATS), size=n, p=DATE_FORMAT_WEIGHTS)

    # 企业名称; missing ones are empty fields
    name_vocab = [[""] + PREFIXES, TRADE_NAMES, INDUSTRIES, SUFFIXES]
    name_idx = [rng.integers(1, len(PREFIXES) + 1, n), rng.integers(0, len(TRADE_NAMES), n),
                rng.integers(0, len(INDUSTRIES), n), rng.integers(0, len(SUFFIXES), n)]
    missing = is_kind["name_missing"]
    name_vocab = [v + [""] for v in name_vocab]
    for idx, vocab in zip(name_idx, name_vocab):
        idx[missing] = len(vocab) - 1

    # 登记状态
    status_vocab = STATUSES + ["正常"]
    status_idx = rng.choice(len(STATUSES), size=n, p=STATUS_WEIGHTS)
    status_idx[is_kind["status_invalid"]] = len(STATUSES)

    def dates(encoding: str) -> pa.Array:
        take = pa.array(fmt)
        seps = [_vocab([f[i] for f in DATE_FORMATS], encoding).take(take) for i in range(3)]
        date = pc.binary_join_element_wise(yyyy, seps[0], mm, seps[1], dd, seps[2], b"")
        bad = np.zeros(n, dtype=bool)
        bad[is_kind["date_unparseable"]] = True
        return pc.if_else(pa.array(bad), pa.scalar("不详".encode(encoding), pa.binary()), date)

    columns = {  # in HEADER order
        "uscc": uscc_col,
        "name": _coded(name_vocab, name_idx),
        "ric": _fixed(ric),
        "capital": capital_col,
        "date": dates,
        "district": _fixed(district_chars),
        "status": _coded([status_vocab], [status_idx]),
    }
    return _Chunk(columns, defects)


def summary(g: Generated) -> dict:
    data = asdict(g)
    return {k: str(v) if isinstance(v, Path) else v for k, v in data.items()}
