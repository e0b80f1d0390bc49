"""`ybz demo`: the whole governance flow on the demo city, on embedded defaults.

1. every contract in contracts/ is submitted by its department and every pending registration
   approved by a steward (idempotent: an unchanged, approved contract is left as it is);
2. then exactly what a steward's `ybz run --all` does: the city job through ingest →
   standardize/quarantine → GX checks → ledger → catalog (when a CKAN is configured).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from rich.console import Console

from catalog.status import catalog_status
from pipelines.runner import RunReport, run_datasets
from yibenzhang.contracts.load import ContractError, contract_files, read_contract
from yibenzhang.contracts.model import Contract
from yibenzhang.facade import Yibenzhang
from yibenzhang.facts import RunStatus
from yibenzhang.settings import Settings, get_settings

STEWARD = "steward"


@dataclass
class DemoReport:
    run: RunReport
    registry_url: str
    catalog: dict | None = None

    @property
    def datasets(self):
        return self.run.datasets

    @property
    def ledger_path(self) -> str:
        return self.run.ledger_path

    @property
    def run_id(self) -> str:
        return self.run.run_ids[0] if self.run.run_ids else ""

    @property
    def ok(self) -> bool:
        # A blocked dataset is a governance outcome the demo shows, not a broken demo.
        return bool(self.datasets) and all(d.status in (RunStatus.SUCCEEDED, RunStatus.BLOCKED) for d in self.datasets)

    def as_json(self) -> dict:
        return {
            "datasets": [asdict(d) for d in self.datasets],
            "ledger_path": self.ledger_path,
            "registry_url": self.registry_url,
            "run_id": self.run_id,
            "catalog": self.catalog,
        }


def department_user(contract: Contract) -> str:
    """Who submits for the department: the contract team's first member, else dept_<code>."""
    team = contract.odcs.team
    members = getattr(team, "members", None) or []
    return members[0].username if members and members[0].username else f"dept_{contract.catalog.provider_code}"


def register_and_approve(platform: Yibenzhang, console: Console) -> None:
    """Submit every contract as its department and approve what waits, as a steward would."""
    for path in contract_files(platform.settings.contracts_dir):
        try:
            contract = read_contract(path).contract
        except ContractError as error:
            console.print(f"  [red]refused[/] {error}")
            continue
        for submission in platform.submit([path], actor=department_user(contract)):
            if submission.refused:
                console.print(f"  [red]refused[/] {submission.refused}")
    for decision in platform.approve_all_pending(STEWARD, reason="demo: approved by the data bureau"):
        if decision.refused:
            console.print(f"  [red]not approved[/] {decision.resource_id}: {decision.refused}")
        else:
            console.print(f"  registered and approved [bold]{decision.resource_id}[/] (code {decision.resource_code})")


def run_demo(publish: bool = False, console: Console | None = None,
             settings: Settings | None = None) -> DemoReport:
    console = console or Console()
    settings = settings or get_settings()
    if publish and not settings.ckan_url:
        raise SystemExit("ybz demo --ckan: no CKAN configured; run `make stack-up` (writes .stack/ckan.env) "
                         "or set YBZ_CKAN_URL and YBZ_CKAN_API_TOKEN")
    settings.ensure_dirs()
    platform = Yibenzhang(settings)
    console.print(f"[bold]Registering the demo contracts[/] from {settings.contracts_dir}/")
    register_and_approve(platform, console)
    with console.status("running every approved dataset (ingest → checks → ledger → catalog)"):
        run = run_datasets(None, platform=platform)
    catalog = catalog_status(platform).counts if settings.ckan_url else None
    return DemoReport(run, settings.database_url, catalog)
