"""`ybz demo`: the whole governance flow on the demo city, on embedded defaults.

1. every contract in contracts/ is submitted by its department and approved by a steward
   (idempotent: an unchanged, already approved contract is left as it is);
2. the Dagster job `city_ledger` runs in-process: ingest → standardize/quarantine → GX checks →
   promote into the ledger → publish to CKAN when one is configured;
3. the per-dataset outcome is read back from the registry and printed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from yibenzhang.contracts.load import contract_files, load_contract
from yibenzhang.contracts.model import Contract
from yibenzhang.registry import runs
from yibenzhang.registry.db import session_scope, upgrade
from yibenzhang.registry.lifecycle import approve, get_resource, pending_registration, submit
from yibenzhang.registry.models import CheckResult, QualityScore
from yibenzhang.settings import Settings, get_settings

STEWARD = "steward"
CITY_JOB = "city_ledger"


@dataclass
class DatasetReport:
    id: str
    name: str
    security_level: str
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    checks_passed: int
    checks_failed: int
    ledger_table: str | None
    ledger_version: str | None
    status: str
    quality_score: float | None
    failed_checks: list[str] = field(default_factory=list)


@dataclass
class DemoReport:
    datasets: list[DatasetReport]
    ledger_path: str
    registry_url: str
    run_id: str
    run_succeeded: bool
    catalog: dict | None = None

    @property
    def ok(self) -> bool:
        return self.run_succeeded and all(d.status in ("succeeded", "blocked") for d in self.datasets)

    def as_json(self) -> dict:
        return {
            "datasets": [asdict(d) for d in self.datasets],
            "ledger_path": self.ledger_path,
            "registry_url": self.registry_url,
            "run_id": self.run_id,
            "run_succeeded": self.run_succeeded,
            "catalog": self.catalog,
        }


def register_and_approve(settings: Settings, console: Console) -> list[Contract]:
    """Submit every contract as its department and approve what waits, as a steward would."""
    contracts = []
    with session_scope(settings.database_url) as session:
        for path in contract_files(settings.contracts_dir):
            contract = load_contract(path)
            department_user = _department_user(contract)
            submit(session, path, actor=department_user)
            resource = get_resource(session, contract.id)
            if pending_registration(resource) is not None:
                approve(session, contract.id, actor=STEWARD, reason="demo: approved by the data bureau")
                console.print(f"  registered and approved [bold]{contract.id}[/] ({contract.name})")
            contracts.append(contract)
    return contracts


def _department_user(contract) -> str:
    team = contract.odcs.team
    members = getattr(team, "members", None) or []
    return members[0].username if members and members[0].username else f"dept_{contract.catalog.provider_code}"


def run_city_job(console: Console) -> tuple[str, bool]:
    """Build the code location from the (now approved) registry and run the city job in-process."""
    import dagster as dg

    from pipelines.definitions import defs as lazy_defs

    definitions = lazy_defs()
    job = definitions.resolve_job_def(CITY_JOB)
    instance = dg.DagsterInstance.get() if _dagster_home() else dg.DagsterInstance.ephemeral()
    with console.status("running the Dagster job city_ledger (ingest → checks → ledger → catalog)"):
        # Dagster's console logger at WARNING: the summary table below says what happened.
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        )
    if not result.success:
        for event in result.all_events:
            if event.is_failure and event.step_key:
                console.print(f"[red]step {event.step_key} failed:[/] {event.message}")
    return result.run_id, result.success


def _dagster_home() -> bool:
    import os

    return bool(os.environ.get("DAGSTER_HOME"))


def collect(settings: Settings, contracts: list[Contract], run_id: str) -> list[DatasetReport]:
    reports = []
    with session_scope(settings.database_url) as session:
        for contract in contracts:
            dataset_id = contract.id
            run = runs.latest_run(session, dataset_id, run_id=run_id)
            if run is None:
                reports.append(DatasetReport(dataset_id, contract.name, contract.catalog.security_level.value,
                                             0, 0, 0, 0, 0, None, None, "not run", None))
                continue
            checks = session.execute(select(CheckResult).where(CheckResult.run_pk == run.id)).scalars().all()
            overall = session.execute(
                select(QualityScore.score).where(
                    QualityScore.run_pk == run.id, QualityScore.dimension == "overall"
                )
            ).scalar_one_or_none()
            promotion = runs.last_promotion(session, dataset_id)
            reports.append(
                DatasetReport(
                    id=dataset_id,
                    name=contract.name,
                    security_level=contract.catalog.security_level.value,
                    rows_in=run.rows_in or 0,
                    rows_loaded=run.rows_loaded or 0,
                    rows_quarantined=run.rows_quarantined or 0,
                    checks_passed=sum(1 for c in checks if c.passed),
                    checks_failed=sum(1 for c in checks if not c.passed),
                    ledger_table=dataset_id if promotion else None,
                    ledger_version=promotion.ledger_version if promotion else None,
                    status=run.status,
                    quality_score=round(overall, 1) if overall is not None else None,
                    failed_checks=[c.rule_id for c in checks if not c.passed],
                )
            )
    return reports


def run_demo(publish: bool = False, console: Console | None = None,
             settings: Settings | None = None) -> DemoReport:
    console = console or Console()
    settings = settings or get_settings()
    if publish and not settings.ckan_url:
        raise SystemExit("ybz demo --ckan: no CKAN configured; run `make stack-up` (writes .stack/ckan.env) "
                         "or set YBZ_CKAN_URL and YBZ_CKAN_API_TOKEN")
    settings.ensure_dirs()
    upgrade(settings.database_url)
    console.print(f"[bold]Registering the demo contracts[/] from {settings.contracts_dir}/")
    contracts = register_and_approve(settings, console)
    run_id, success = run_city_job(console)
    datasets = collect(settings, contracts, run_id)
    catalog = _catalog_status(settings) if settings.ckan_url else None
    return DemoReport(datasets, str(settings.ledger_db.resolve()), settings.database_url, run_id, success, catalog)


def _catalog_status(settings: Settings) -> dict:
    from catalog.status import catalog_status

    with session_scope(settings.database_url) as session:
        return catalog_status(session).counts


def quarantine_reasons(report: DemoReport) -> list[tuple[str, str, int]]:
    """(dataset, rule, quarantined rows) for this run, most frequent first."""
    import duckdb

    con = duckdb.connect(report.ledger_path, read_only=True)
    try:
        return con.execute(
            "SELECT dataset, rule_id, count(DISTINCT (file, row)) AS n FROM quarantine "
            "WHERE run_id = ? GROUP BY ALL ORDER BY dataset, n DESC, rule_id",
            [report.run_id],
        ).fetchall()
    finally:
        con.close()


def print_quarantine_reasons(report: DemoReport, console: Console) -> None:
    """Why rows were quarantined: the list each department gets back (闭环治理)."""
    rows = quarantine_reasons(report)
    if not rows:
        return
    widest = max(n for _, _, n in rows)
    table = Table(title="Quarantined rows by rule (fed back to the owning department)")
    table.add_column("dataset")
    table.add_column("rule")
    table.add_column("rows", justify="right")
    table.add_column("", no_wrap=True)
    for dataset, rule, n in rows:
        table.add_row(dataset, rule, str(n), "█" * max(1, round(24 * n / widest)))
    console.print(table)


def print_report(report: DemoReport, console: Console) -> None:
    table = Table(title="一本账 demo city — one run of every dataset", show_lines=False)
    for column, justify in [("dataset", "left"), ("名称", "left"), ("security", "left"),
                            ("rows in", "right"), ("loaded", "right"), ("quarantined", "right"),
                            ("checks ✓", "right"), ("checks ✗", "right"), ("score", "right"),
                            ("ledger table", "left"), ("version", "left"), ("status", "left")]:
        table.add_column(column, justify=justify)
    for d in report.datasets:
        table.add_row(
            d.id, d.name, d.security_level, str(d.rows_in), str(d.rows_loaded), str(d.rows_quarantined),
            str(d.checks_passed), f"[red]{d.checks_failed}[/]" if d.checks_failed else "0",
            "" if d.quality_score is None else f"{d.quality_score:.1f}",
            d.ledger_table or "—", d.ledger_version or "—",
            d.status if d.status == "succeeded" else f"[yellow]{d.status}[/]",
        )
    console.print(table)
    failed = [(d.id, r) for d in report.datasets for r in d.failed_checks]
    if failed:
        console.print("Failed checks (warnings are loaded and reported back to the department): "
                      + ", ".join(f"{i}.{r}" for i, r in failed))
    print_quarantine_reasons(report, console)
    console.print(f"Ledger: {report.ledger_path}  (e.g. duckdb {report.ledger_path} -c 'FROM enterprise_registry LIMIT 5')")
    console.print("Quarantined rows with their reasons: table `quarantine` in the same file.")
    if report.catalog is not None:
        console.print(f"Catalog outbox: {report.catalog}")
