"""Build the contract model piece by piece from raw YAML data, collecting every error.

`Contract.from_odcs` stops at the first problem; here each piece (source, every column, every
rule, the catalog block) is validated on its own, so one run reports all of them, each at the
YAML path it came from. Pieces that fail are left as None; the consistency checks skip them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from open_data_contract_standard.model import (
    DataQuality,
    OpenDataContractStandard,
    SchemaProperty,
    Server,
)
from pydantic import BaseModel, ValidationError

from yibenzhang.contracts.errors import enum_of, findings_from_error
from yibenzhang.contracts.model import (
    CatalogMetadata,
    Column,
    Rule,
    Source,
    column_fields,
    rule_fields,
    source_fields,
)
from yibenzhang.contracts.problems import Finding, Prop, YamlPath

M = TypeVar("M", bound=BaseModel)

CATALOG_PATH: YamlPath = ("customProperties", Prop("catalog"), "value")
TABLE_PATH: YamlPath = ("schema", 0)
SERVER_PATH: YamlPath = ("servers", 0)

# Where each model field is read from, relative to its ODCS object.
COLUMN_FIELD_PATHS: dict[str, YamlPath] = {
    "name": ("name",),
    "source_name": ("physicalName",),
    "label": ("businessName",),
    "type": ("logicalType",),
    "required": ("required",),
    "primary_key": ("primaryKey",),
    "personal_info": ("customProperties", Prop("personal_info")),
    "code_rule": ("customProperties", Prop("code_rule")),
    "formats": ("customProperties", Prop("format")),
    "aliases": ("customProperties", Prop("aliases")),
    "timezone": ("customProperties", Prop("timezone")),
    "units": ("customProperties", Prop("unit")),
    "approximate": ("customProperties", Prop("approximate")),
    "missing_values": ("customProperties", Prop("missing_values")),
    "normalize": ("customProperties", Prop("normalize")),
    "masking": ("customProperties", Prop("masking")),
}
RULE_FIELD_PATHS: dict[str, YamlPath] = {
    "id": ("id",),
    "metric": ("metric",),
    "arguments": ("arguments",),
    "dimension": ("dimension",),
    "severity": ("severity",),
    "must_be": ("mustBe",),
    "must_be_greater_than": ("mustBeGreaterThan",),
    "description": ("description",),
}
SOURCE_FIELD_PATHS: dict[str, YamlPath] = {
    "type": ("type",),
    "format": ("format",),
    "path": ("path",),
    "encoding": ("encoding",),
    "delimiter": ("delimiter",),
    "host": ("host",),
    "port": ("port",),
    "database": ("database",),
    "db_schema": ("schema",),
    "sheet": ("customProperties", Prop("sheet")),
    "header_row": ("customProperties", Prop("header_row")),
    "table": ("customProperties", Prop("table")),
    "url": ("location",),
    **{name: ("customProperties", Prop(name)) for name in (
        "records_path", "total_path", "page_param", "size_param", "page_size", "first_page", "max_pages",
        "append_only")},
}


@dataclass
class ColumnPart:
    index: int
    raw: dict
    # None when the ODCS item itself is broken; a partial Column (fields in error left out,
    # `complete` False) when some of its fields fail our model.
    column: Column | None
    rules: list[RulePart] = field(default_factory=list)
    complete: bool = True

    @property
    def path(self) -> YamlPath:
        return TABLE_PATH + ("properties", self.index)


@dataclass
class RulePart:
    path: YamlPath
    raw: dict
    rule: Rule | None


@dataclass
class Parts:
    """The raw document and whatever pieces of the typed model could be built from it."""

    data: dict
    file_stem: str | None = None  # file name without .yaml; None for templates / text input
    odcs: OpenDataContractStandard | None = None
    source: Source | None = None
    catalog_raw: dict | None = None
    catalog: CatalogMetadata | None = None  # partial (fields in error left out) if not catalog_complete
    catalog_complete: bool = False
    columns: list[ColumnPart] = field(default_factory=list)
    table_rules: list[RulePart] = field(default_factory=list)

    @property
    def valid_columns(self) -> list[Column]:
        """Columns as far as they could be read (possibly partial: use getattr)."""
        return [c.column for c in self.columns if c.column is not None]

    @property
    def rules(self) -> list[RulePart]:
        return [r for c in self.columns for r in c.rules] + self.table_rules


def partial_model(model: type[M], fields: dict[str, Any], exc: ValidationError) -> M:
    """The model built from the fields that did validate (`model_construct`, no checks), so the
    consistency rules still see them; fields in error are left out (read them with getattr)."""
    bad = {e["loc"][0] for e in exc.errors() if e["loc"]}
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        key = name if name in fields else info.alias
        if key not in fields or key in bad or name in bad:
            continue
        enum_cls = enum_of(info.annotation)
        if enum_cls is not None and fields[key] is not None:
            try:
                values[name] = enum_cls.from_label(str(fields[key]))
            except ValueError:
                continue
        else:
            values[name] = fields[key]
    partial = model.model_construct(**values)
    for name in model.model_fields:
        if name in bad or model.model_fields[name].alias in bad:
            partial.__dict__.pop(name, None)  # a failed field reads as missing, not as its default
    return partial


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def build_parts(data: dict, file_stem: str | None) -> tuple[Parts, list[Finding]]:
    parts = Parts(data=data, file_stem=file_stem)
    findings: list[Finding] = []
    try:
        parts.odcs = OpenDataContractStandard.model_validate(data)
    except ValidationError as exc:
        findings += findings_from_error(exc, OpenDataContractStandard, data=data)
    own = _build_source(parts) + _build_columns(parts) + _build_catalog(parts)
    # Where a builder explains a broken block in our words, drop the generic ODCS message.
    explained = {f.path for f in own}
    return parts, [f for f in findings if f.path not in explained] + own


def _build_source(parts: Parts) -> list[Finding]:
    servers = as_list(parts.data.get("servers"))
    if not servers or not isinstance(servers[0], dict):
        return [Finding(("servers",), "one server must name the data source (数据来源)")]
    findings = []
    if len(servers) > 1:
        findings.append(
            Finding(("servers", 1), "only the first server is read; the others are ignored", "warning")
        )
    try:
        server = Server.model_validate(servers[0])
    except ValidationError:
        return findings  # the ODCS structure error is already reported
    try:
        parts.source = Source(**source_fields(server))
    except ValidationError as exc:
        findings += findings_from_error(exc, Source, SERVER_PATH, SOURCE_FIELD_PATHS)
    return findings


def _build_rule(raw: Any, path: YamlPath, column: str | None) -> tuple[RulePart | None, list[Finding]]:
    if not isinstance(raw, dict):
        return None, [Finding(path, "a quality rule must be a mapping (id, metric, ...)")]
    try:
        q = DataQuality.model_validate(raw)
    except ValidationError:
        return RulePart(path, raw, None), []
    try:
        return RulePart(path, raw, Rule(**rule_fields(q, column))), []
    except ValidationError as exc:
        return RulePart(path, raw, None), findings_from_error(exc, Rule, path, RULE_FIELD_PATHS)


def _build_columns(parts: Parts) -> list[Finding]:
    tables = as_list(parts.data.get("schema"))
    if not tables or not isinstance(tables[0], dict):
        return [Finding(("schema",), "`schema` must describe the dataset's table (one entry)")]
    findings = []
    if len(tables) > 1:
        findings.append(Finding(("schema", 1), "a contract describes exactly one table; split the others into their own contracts"))
    table = tables[0]
    for i, raw in enumerate(as_list(table.get("properties"))):
        path = TABLE_PATH + ("properties", i)
        if not isinstance(raw, dict):
            findings.append(Finding(path, "a column must be a mapping (name, physicalName, ...)"))
            continue
        part = ColumnPart(i, raw, None)
        parts.columns.append(part)
        try:
            prop = SchemaProperty.model_validate(raw)
        except ValidationError:
            continue
        fields = column_fields(prop)
        try:
            part.column = Column(**fields)
        except ValidationError as exc:
            findings += findings_from_error(exc, Column, path, COLUMN_FIELD_PATHS)
            part.column, part.complete = partial_model(Column, fields, exc), False
        # A column without a usable name still owns its rules (they are not table rules).
        column_name = prop.name if isinstance(prop.name, str) else f"properties[{i}]"
        for j, q in enumerate(as_list(raw.get("quality"))):
            rule, found = _build_rule(q, path + ("quality", j), column_name)
            findings += found
            if rule:
                part.rules.append(rule)
        if part.column is not None:
            part.column = part.column.model_copy(update={"rules": [r.rule for r in part.rules if r.rule]})
    for j, q in enumerate(as_list(table.get("quality"))):
        rule, found = _build_rule(q, TABLE_PATH + ("quality", j), None)
        findings += found
        if rule:
            parts.table_rules.append(rule)
    return findings


def _build_catalog(parts: Parts) -> list[Finding]:
    items = [p for p in as_list(parts.data.get("customProperties")) if isinstance(p, dict)]
    blocks = [p for p in items if p.get("property") == "catalog"]
    if not blocks:
        return [Finding(("customProperties",), "the `catalog` block (customProperties[catalog], 目录元数据) is missing")]
    findings = []
    if len(blocks) > 1:
        findings.append(Finding(("customProperties",), "the `catalog` block is written more than once"))
    value = blocks[-1].get("value")
    if not isinstance(value, dict):
        return findings + [Finding(CATALOG_PATH, "the catalog block's `value` must be a mapping of catalog fields")]
    parts.catalog_raw = value
    try:
        parts.catalog = CatalogMetadata.model_validate(value)
        parts.catalog_complete = True
    except ValidationError as exc:
        findings += findings_from_error(exc, CatalogMetadata, CATALOG_PATH)
        parts.catalog = partial_model(CatalogMetadata, value, exc)
    return findings
