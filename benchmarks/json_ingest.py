"""JSON API dump ingest: our reader against DuckDB's own `read_json`, in the same run.

    uv run python -m benchmarks.json_ingest --records 1000000
    uv run python -m benchmarks.json_ingest --records 200000 --page-size 5000 --repeat 3

Generates (or reuses, keyed by records, page size and seed) a 医疗机构 API dump shaped like the
corpus's: pages `{"code":200,"msg":"success","page":N,"page_size":S,"total":T,"data":[...]}` with
nested `address.{district,street}` and `contact.phone`, numbers as JSON numbers. Then, each in its
own process (peak RSS = that process's VmHWM):

- `ours`: `yibenzhang.ingest.read.read_source` of the pages into the staging table (a DuckDB
  file), exactly as the pipeline's stage step calls it: every value as text, row problems, extra
  keys and the declared total checked;
- `duckdb`: `CREATE TABLE … AS SELECT d.机构代码, …, d.address.district, … FROM (SELECT
  unnest(data) AS d FROM read_json(pages))` into a DuckDB file: DuckDB's C++ parser with its
  inferred types (numbers as DOUBLE/BIGINT), no text fidelity, no checks. The baseline.

Prints seconds, peak RSS and ours/duckdb; writes benchmarks/out/json/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.child import RESULT_MARK, peak_rss_mb

REPO_ROOT = Path(__file__).resolve().parents[1]
OUT_ROOT = REPO_ROOT / "benchmarks" / "out" / "json"
PAGES = "wjw/yiliao_jigou_api/page_*.json"
DISTRICTS = ("崇川区", "通州区", "海门区", "如东县", "启东市", "如皋市", "海安市")
CATEGORIES = (("医院", "二级甲等", 300), ("社区卫生服务中心", "一级", 40), ("卫生院", "一级", 20), ("诊所", "未定级", 0))
STREETS = ("人民路", "青年路", "工农路", "世纪大道", "长江路", "濠河路", "学田路")
COLUMNS = (  # (name, physicalName, logicalType)
    ("institution_code", "机构代码", "string"), ("institution_name", "机构名称", "string"),
    ("category", "机构类别", "string"), ("grade", "等级", "string"), ("beds", "床位数", "integer"),
    ("longitude", "经度", "number"), ("latitude", "纬度", "number"), ("district", "address.district", "string"),
    ("street", "address.street", "string"), ("phone", "contact.phone", "string"),
)


# --- data --------------------------------------------------------------------------------------


def generate(records: int, page_size: int, seed: int, root: Path) -> Path:
    """Write the pages under `root/<records>_<page_size>_<seed>/` (reused when complete)."""
    out = root / f"{records}_{page_size}_{seed}"
    done = out / "meta.json"
    if done.is_file():
        return out
    folder = out / Path(PAGES).parent
    folder.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(seed)
    pages = (records + page_size - 1) // page_size
    for page in range(1, pages + 1):
        start = (page - 1) * page_size
        data = [_record(rnd, i) for i in range(start, min(start + page_size, records))]
        envelope = {"code": 200, "msg": "success", "page": page, "page_size": page_size, "total": records,
                    "data": data}
        (folder / f"page_{page}.json").write_text(json.dumps(envelope, ensure_ascii=False), encoding="utf-8")
    done.write_text(json.dumps({"records": records, "page_size": page_size, "seed": seed, "pages": pages}))
    return out


def _record(rnd: random.Random, i: int) -> dict:
    category, grade, beds = CATEGORIES[rnd.randrange(len(CATEGORIES))]
    district = DISTRICTS[rnd.randrange(len(DISTRICTS))]
    phone = f"0513-{rnd.randrange(10**7, 10**8)}" if rnd.random() < 0.6 else f"1{rnd.randrange(10**9, 10**10)}"
    return {
        "机构代码": f"5232{i:014d}",  # unique, 18 characters (not a valid check digit: ingest does not care)
        "机构名称": f"{district}第{i}{category}",
        "机构类别": category,
        "等级": grade,
        "床位数": beds + rnd.randrange(0, 50) if beds else 0,
        "经度": round(rnd.uniform(120.3, 121.8), 6),
        "纬度": round(rnd.uniform(31.7, 32.6), 6),
        "address": {"district": district, "street": f"{STREETS[rnd.randrange(len(STREETS))]}{rnd.randrange(1, 999)}号"},
        "contact": {"phone": phone},
    }


def contract_data() -> dict:
    """A 医疗机构 contract from the template's envelope, with the JSON source of the pages."""
    import yaml

    data = yaml.safe_load((REPO_ROOT / "contracts" / "_template.yaml").read_text(encoding="utf-8"))
    data["id"] = data["schema"][0]["name"] = "medical_institutions"
    data["servers"] = [{"server": "wjw", "type": "local", "format": "json", "path": PAGES, "encoding": "utf-8",
                        "customProperties": [{"property": "records_path", "value": "data"},
                                             {"property": "total_path", "value": "total"}]}]
    data["schema"][0]["properties"] = [
        {"name": n, "physicalName": p, "businessName": p, "logicalType": t, **({"required": True} if i < 4 else {})}
        for i, (n, p, t) in enumerate(COLUMNS)]
    data["schema"][0]["quality"] = []
    return data


# --- contenders (in a child process each) -------------------------------------------------------


def run_ours(root: Path, db: Path) -> dict:
    import duckdb
    from open_data_contract_standard.model import OpenDataContractStandard

    from yibenzhang.contracts.model import Contract
    from yibenzhang.ingest.read import read_source

    contract = Contract.from_odcs(OpenDataContractStandard.model_validate(contract_data()))
    con = duckdb.connect(str(db))
    started = time.perf_counter()
    result = read_source(con, contract, root, "raw_medical_institutions")
    con.execute("CHECKPOINT")
    seconds = time.perf_counter() - started
    rows = con.execute("SELECT count(*) FROM raw_medical_institutions").fetchone()
    con.close()
    problems = [p.message for f in result.files for p in f.problems] + result.errors
    return {"seconds": seconds, "rows": rows[0] if rows else 0, "pages": len(result.files), "problems": problems}


def run_duckdb(root: Path, db: Path) -> dict:
    import duckdb

    con = duckdb.connect(str(db))
    select = ", ".join(_duckdb_field(n, p) for n, p, _ in COLUMNS)
    # read_json reads each page as one object: the limit must hold the largest page (it is also
    # what DuckDB allocates per reading thread, so not more than needed).
    largest = max(f.stat().st_size for f in root.glob(PAGES))
    started = time.perf_counter()
    con.execute(
        f"CREATE TABLE raw_medical_institutions AS SELECT {select} FROM ("
        f"SELECT unnest(data) AS d FROM read_json(?, maximum_object_size = {2 * largest + 1024}))",
        [str(root / PAGES)])
    con.execute("CHECKPOINT")
    seconds = time.perf_counter() - started
    rows = con.execute("SELECT count(*) FROM raw_medical_institutions").fetchone()
    con.close()
    return {"seconds": seconds, "rows": rows[0] if rows else 0}


def _duckdb_field(name: str, path: str) -> str:
    return "d." + ".".join(f'"{k}"' for k in path.split(".")) + f' AS "{name}"'


CONTENDERS = {"ours": run_ours, "duckdb": run_duckdb}


def child(name: str, root: Path) -> int:
    with tempfile.TemporaryDirectory(prefix=f"ybz-json-{name}-") as tmp:
        try:
            outcome = CONTENDERS[name](root, Path(tmp) / "bench.duckdb")
        except Exception as exc:  # reported as the contender's failure
            outcome = {"seconds": None, "error": f"{type(exc).__name__}: {exc}"}
    outcome["peak_rss_mb"] = round(peak_rss_mb(), 1)
    print(RESULT_MARK + json.dumps(outcome, ensure_ascii=False, default=str), flush=True)
    return 0 if outcome.get("error") is None else 1


# --- parent ------------------------------------------------------------------------------------


def measure(name: str, root: Path, repeat: int) -> dict:
    """The fastest of `repeat` runs of contender `name`, each in a fresh process."""
    best: dict | None = None
    for _ in range(repeat):
        proc = subprocess.run([sys.executable, "-m", "benchmarks.json_ingest", "--child", name, str(root)],
                              capture_output=True, text=True, cwd=REPO_ROOT, timeout=3600)
        lines = [line for line in proc.stdout.splitlines() if line.startswith(RESULT_MARK)]
        if not lines:
            return {"seconds": None, "error": f"no result (exit {proc.returncode}): {proc.stderr[-2000:]}"}
        got = json.loads(lines[-1][len(RESULT_MARK):])
        if got.get("error"):
            return got
        if best is None or got["seconds"] < best["seconds"]:
            best = got
    assert best is not None
    return best


def table(records: int, results: dict) -> str:
    ours, duck = results["ours"], results["duckdb"]
    lines = [f"JSON ingest, {records:,} records", f"{'contender':<34}{'seconds':>10}{'peak RSS MB':>14}"]
    for name, label in (("duckdb", "DuckDB read_json + unnest"), ("ours", "ours (read_source → staging)")):
        m = results[name]
        secs = f"{m['seconds']:.2f}" if m.get("seconds") is not None else "failed"
        lines.append(f"{label:<34}{secs:>10}{m.get('peak_rss_mb', 0):>14.0f}")
    if ours.get("seconds") and duck.get("seconds"):
        lines.append(f"ratio ours/duckdb (time): {ours['seconds'] / duck['seconds']:.2f}×   "
                     f"(RSS: {ours['peak_rss_mb'] / duck['peak_rss_mb']:.2f}×)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.json_ingest", description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--page-size", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--repeat", type=int, default=1, help="fastest of K runs per contender")
    parser.add_argument("--out", type=Path, default=OUT_ROOT)
    parser.add_argument("--child", nargs=2, metavar=("NAME", "ROOT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child[0], Path(args.child[1]))
    started = time.perf_counter()
    root = generate(args.records, args.page_size, args.seed, args.out)
    generated_s = time.perf_counter() - started
    results = {name: measure(name, root, args.repeat) for name in ("duckdb", "ours")}
    report = {"records": args.records, "page_size": args.page_size, "seed": args.seed, "source_root": str(root),
              "generate_s": round(generated_s, 2), "load_average": os.getloadavg(), "results": results}
    if results["ours"].get("seconds") and results["duckdb"].get("seconds"):
        report["ratio_ours_over_duckdb"] = results["ours"]["seconds"] / results["duckdb"]["seconds"]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    print(table(args.records, results))
    failed = [n for n, m in results.items() if m.get("error")]
    for name in failed:
        print(f"{name} failed: {results[name]['error']}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
