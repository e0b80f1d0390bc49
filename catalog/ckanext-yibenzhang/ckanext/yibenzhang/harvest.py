"""The `yibenzhang_harvest` plugin: 长三角 cross-region harvest of another city's CKAN into
read-only external resources (type `external`, catalog/ckan_schema/external.yaml).

Why ckanext-harvest's CKAN harvester and not ckanext-dcat's RDF harvester: the neighbours run
CKAN, whose action API gives every dataset with its stable id, its resources and its
`metadata_modified` in one paged search; the RDF round trip (their DCAT profile out, ours in)
loses fields and would run our own DCAT profile on another city's records. We keep the parent's
paged search and change what it cannot do for us:

- gather: always the full list (a few hundred datasets is one or two requests), so a dataset
  deleted at the source is seen missing and withdrawn here (the parent's incremental search
  never sees deletions);
- import: the remote dataset becomes type `external` in one organization of ours per source,
  validated by the scheming schema (the parent imports with CKAN's default schema), written by
  the site user only; a local dataset of another type with the same id is never overwritten.

Also: the read-only auth functions (external_auth.py), the notice on the dataset page
(harvest_templates/), and the commands of the stack's harvest services
(ybz/stack/harvest_service.py): `ckan ybz-harvest consume gather|fetch` (ckanext-harvest's
consumers, kept alive under redis-py 8) and `ckan ybz-harvest run-every` (runs due jobs and marks
finished ones).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import ckan.plugins as plugins
import click
from ckan import model
from ckan.plugins import toolkit
from ckanext.harvest.harvesters.ckanharvester import CKANHarvester, SearchError
from ckanext.harvest.model import HarvestObject, HarvestObjectExtra
from ckanext.yibenzhang import external, external_auth

log = logging.getLogger(__name__)

DELETE = "delete"  # the `status` extra of a harvest object whose dataset left the source


def _site_context() -> dict[str, Any]:
    return {"model": model, "session": model.Session, "user": external_auth.site_user_name(),
            "ignore_auth": True}


class ExternalCkanHarvester(CKANHarvester):
    plugins.implements(plugins.IAuthFunctions)
    plugins.implements(plugins.IClick)
    plugins.implements(plugins.IConfigurer, inherit=True)

    # IConfigurer: our dataset page notice (a template directory of our own, see README)
    def update_config(self, config: Any) -> None:
        toolkit.add_template_directory(config, "harvest_templates")

    # IAuthFunctions
    def get_auth_functions(self) -> dict[str, Any]:
        return external_auth.auth_functions()

    # IClick
    def get_commands(self) -> list[Any]:
        return [ybz_harvest]

    # IHarvester
    def info(self) -> dict[str, str]:
        return {"name": external.HARVESTER_NAME, "title": "邻市 CKAN 目录（外部资源，只读）",
                "description": "采集其他城市 CKAN 目录的数据集，作为只读外部资源，不进入本市一本账",
                "form_config_interface": "Text"}

    def validate_config(self, config: str | None) -> str:
        try:
            external.source_region(config)
            external.source_organizations(config)
        except external.ConfigError as error:
            raise ValueError(str(error)) from None
        return config or ""

    def _get_user_name(self) -> str:
        # Always the site user: the only writer the read-only auth functions let through.
        return external_auth.site_user_name()

    def gather_stage(self, harvest_job: Any) -> list[str] | None:
        source = harvest_job.source
        self._set_config(source.config)
        base = source.url.rstrip("/")
        try:
            fq = external.search_filter(external.source_organizations(source.config))
            remote = self._search_for_datasets(base, fq)
        except external.ConfigError as error:
            self._save_gather_error(str(error), harvest_job)
            return None
        except SearchError as error:
            self._save_gather_error(f"无法查询来源目录 {base}：{error}", harvest_job)
            return None
        ids: list[str] = []
        seen: set[str] = set()
        for pkg in remote:
            if pkg["id"] in seen or pkg.get("type", "dataset") != "dataset":
                continue
            seen.add(pkg["id"])
            obj = HarvestObject(guid=pkg["id"], job=harvest_job, content=json.dumps(pkg))
            obj.save()
            ids.append(obj.id)
        for guid, package_id in self._harvested(source.id):
            if guid not in seen:  # gone from the source: withdraw it here
                obj = HarvestObject(guid=guid, job=harvest_job, package_id=package_id,
                                    extras=[HarvestObjectExtra(key="status", value=DELETE)])
                obj.save()
                ids.append(obj.id)
        log.info("harvest %s: %d datasets at the source, %d objects", source.title, len(seen), len(ids))
        return ids

    @staticmethod
    def _harvested(source_id: str) -> list[tuple[str, str]]:
        """(guid, package id) of this source's datasets that are active here."""
        rows = (model.Session.query(HarvestObject.guid, HarvestObject.package_id)
                .join(model.Package, model.Package.id == HarvestObject.package_id)
                .filter(HarvestObject.current == True)  # noqa: E712
                .filter(HarvestObject.harvest_source_id == source_id)
                .filter(model.Package.state == "active")
                .distinct().all())
        return [(guid, package_id) for guid, package_id in rows]

    def fetch_stage(self, harvest_object: Any) -> bool:
        return True  # the search gave the whole package dict

    def import_stage(self, harvest_object: Any) -> bool | str:
        status = next((e.value for e in harvest_object.extras if e.key == "status"), None)
        try:
            if status == DELETE:
                return self._withdraw(harvest_object)
            return self._upsert(harvest_object)
        except toolkit.ValidationError as error:
            self._save_object_error(f"外部资源 {harvest_object.guid} 不符合外部资源模式："
                                    f"{json.dumps(error.error_dict, ensure_ascii=False)}",
                                    harvest_object, "Import")
        except external.ConfigError as error:
            self._save_object_error(str(error), harvest_object, "Import")
        except Exception as error:  # recorded on the object, as ckanext-harvest's harvesters do
            log.exception("harvest: import of %s failed", harvest_object.guid)
            model.Session.rollback()
            self._save_object_error(f"导入失败：{error}", harvest_object, "Import")
        return False

    def _withdraw(self, harvest_object: Any) -> bool:
        package_id = harvest_object.package_id
        package = model.Package.get(package_id) if package_id else None
        if package is not None and package.type == external.EXTERNAL_TYPE and package.state != "deleted":
            toolkit.get_action("package_delete")(_site_context(), {"id": package_id})
            log.info("harvest: %s withdrawn (gone from its source)", package.name)
        model.Session.query(HarvestObject).filter(HarvestObject.guid == harvest_object.guid).update(
            {"current": False}, synchronize_session=False)
        harvest_object.current = False
        harvest_object.save()
        model.Session.commit()
        return True

    def _upsert(self, harvest_object: Any) -> bool | str:
        if harvest_object.content is None:
            self._save_object_error(f"采集对象 {harvest_object.id} 没有内容", harvest_object, "Import")
            return False
        source = harvest_object.job.source
        region = external.source_region(source.config)
        remote = json.loads(harvest_object.content)
        local = model.Package.get(remote["id"])
        if local is not None and local.type != external.EXTERNAL_TYPE:
            self._save_object_error(f"本平台已有同一标识的非外部数据集 {local.name}：不覆盖", harvest_object, "Import")
            return False
        existing = None
        if local is not None:
            existing = toolkit.get_action("package_show")(_site_context(), {"id": local.id})
            if external.unchanged(existing, remote):
                return "unchanged"
        name = existing["name"] if existing else self._ensure_name_is_unique(
            external.dataset_name(_source_name(source) or source.id, remote["name"]))
        package = external.external_package(
            remote, source_url=source.url, source_title=source.title, region=region,
            organization_id=self._organization(source, region), name=name)
        if existing is None:
            # The dataset is indexed with its harvest object (the harvest plugin's index hook):
            # link them before the create, as ckanext-harvest does.
            harvest_object.current = True
            harvest_object.package_id = package["id"]
            harvest_object.add()
            _defer_constraint()
            model.Session.flush()
            toolkit.get_action("package_create")(_site_context(), package)
        else:
            model.Session.query(HarvestObject).filter(HarvestObject.package_id == existing["id"]).update(
                {"current": False}, synchronize_session=False)
            harvest_object.current = True
            harvest_object.package_id = existing["id"]
            harvest_object.add()
            toolkit.get_action("package_update")(_site_context(), package)
        model.Session.commit()
        return True

    @staticmethod
    def _organization(source: Any, region: str) -> str:
        """Our organization for this source (created by the site user on the first import)."""
        name = external.organization_name(_source_name(source) or source.id)
        try:
            return str(toolkit.get_action("organization_show")(
                _site_context(), {"id": name, "include_datasets": False})["id"])
        except toolkit.ObjectNotFound:
            org = toolkit.get_action("organization_create")(_site_context(), {
                "name": name, "title": external.organization_title(region),
                "description": f"自「{source.title}」（{source.url}）跨区域采集的外部资源：只读，不在本市一本账内。"})
            return str(org["id"])


def _source_name(source: Any) -> str:
    """The harvest source dataset's name (`taizhou`), the stable part of our names."""
    package = model.Package.get(source.id)
    return package.name if package is not None else ""


def _defer_constraint() -> None:
    import sqlalchemy as sa

    model.Session.execute(sa.text("SET CONSTRAINTS harvest_object_package_id_fkey DEFERRED"))


@click.group("ybz-harvest", short_help="一本账 跨区域采集")
def ybz_harvest() -> None:
    """长三角跨区域采集（外部资源）。"""


@ybz_harvest.command("consume")
@click.argument("stage", type=click.Choice(["gather", "fetch"]))
def consume(stage: str) -> None:
    """The gather or fetch consumer of ckanext-harvest's Redis queue, kept waiting: ckanext-
    harvest 1.6.3 waits with a BLPOP without timeout, which redis-py 8 (CKAN 2.12's) cuts after
    its default socket timeout of 5 s, ending `ckan harvester gather-consumer` with a
    TimeoutError. Nothing is taken from the queue when that happens: wait again."""
    import redis
    from ckanext.harvest import queue

    if stage == "gather":
        consumer, callback, name = queue.get_gather_consumer(), queue.gather_callback, queue.get_gather_queue_name()
    else:
        consumer, callback, name = queue.get_fetch_consumer(), queue.fetch_callback, queue.get_fetch_queue_name()
    while True:
        try:
            for method, header, body in consumer.consume(queue=name):
                try:
                    callback(consumer, method, header, body)
                except Exception:  # one bad job or object must not stop the service
                    log.exception("harvest %s: a message failed; the next is taken", stage)
                    model.Session.remove()
        except redis.exceptions.TimeoutError:
            continue


@ybz_harvest.command("run-every")
@click.option("--seconds", default=10, show_default=True, type=click.IntRange(1, 3600),
              help="两次运行之间的间隔（秒）")
@click.pass_context
def run_every(ctx: click.Context, seconds: int) -> None:
    """Every SECONDS: start the jobs a source's schedule makes due, mark finished jobs
    (ckanext-harvest's harvest_jobs_run, what `ckan harvester run` does once)."""
    flask_app = ctx.meta["flask_app"]
    while True:
        with flask_app.test_request_context():
            try:
                toolkit.get_action("harvest_jobs_run")(_site_context(), {})
            except Exception:  # a service: log, and try again next round (e.g. database restart)
                log.exception("harvest_jobs_run failed; retrying in %ss", seconds)
            finally:
                model.Session.remove()
        time.sleep(seconds)
