"""A typed view of one data contract: ODCS v3 envelope + the yibenzhang `catalog` extension.

`Contract.from_odcs()` takes a parsed `OpenDataContractStandard` and exposes what the rest of
the platform needs (source, columns, rules, catalog metadata) as plain pydantic models, so no
other module digs through ODCS customProperties lists. Validation that reports every problem
with file and line lives in `yibenzhang.contracts.validate`; this module raises on the first
structural error only.
"""

from __future__ import annotations

from typing import Any, Literal

from open_data_contract_standard.model import (
    CustomProperty,
    DataQuality,
    OpenDataContractStandard,
    SchemaProperty,
    Server,
)
from pydantic import BaseModel, Field, field_validator

from yibenzhang.contracts.problems import ContractError
from yibenzhang.vocabulary import (
    CodeRule,
    LabelledEnum,
    OpenType,
    PersonalInfo,
    QualityDimension,
    ResourceAttribute,
    ResourceFormat,
    SecurityLevel,
    Severity,
    ShareMethod,
    ShareType,
    UpdateCycle,
)

LogicalType = Literal["string", "integer", "number", "date", "timestamp", "boolean"]
# Date "formats" that are not strptime patterns: a spreadsheet day serial (1900 date system),
# ISO 8601 with or without an offset, and `auto` (every supported format; yibenzhang.ingest.expressions).
PSEUDO_DATE_FORMATS = ("excel_serial", "iso8601", "auto")


class Masking(LabelledEnum):
    """How a personal column is masked in a licensee's delivery (脱敏方式, contracts/README §2.3.6;
    the rules are `yibenzhang.governance.masking`). Department shares are never masked."""

    PSEUDONYM = ("pseudonym", "假名化")
    NAME = ("name", "姓名脱敏")
    PHONE = ("phone", "电话脱敏")
    ADDRESS = ("address", "地址截断")
    WITHHOLD = ("withhold", "不提供")


# Maskings that rewrite the text itself (a pseudonym hashes any value's text).
TEXT_MASKINGS = (Masking.NAME, Masking.PHONE, Masking.ADDRESS)


def custom_props(items: list[CustomProperty] | None) -> dict[str, Any]:
    return {p.property: p.value for p in items or [] if p.property}


def _enum(enum_cls):
    """A pydantic validator accepting identifiers or Chinese labels for a LabelledEnum field."""

    def convert(value):
        if value is None or isinstance(value, enum_cls):
            return value
        return enum_cls.from_label(str(value))

    return convert


class Category(BaseModel):
    """信息资源分类 类/项/目/细目."""

    class_: str = Field(alias="class", pattern=r"^\d$")
    item: str = Field(pattern=r"^\d{2}$")
    catalog: str = Field(pattern=r"^\d{3}$")
    subcatalog: str = ""

    model_config = {"populate_by_name": True}

    @property
    def path(self) -> str:
        """The category code as written in the resource code: 类+项+目(+细目)."""
        return f"{self.class_}{self.item}{self.catalog}{self.subcatalog}"


class CatalogMetadata(BaseModel):
    """GB/T 21063 core metadata and GB/T 43697 grading, as declared by the department."""

    resource_name: str
    category: Category
    resource_attribute: ResourceAttribute
    provider: str
    provider_code: str = Field(pattern=r"^\d{6}$")
    summary: str
    format: ResourceFormat
    share_type: ShareType
    share_condition: str = ""
    share_basis: str = ""
    share_method: ShareMethod
    open_type: OpenType
    open_condition: str = ""
    update_cycle: UpdateCycle
    publish_date: str | None = None
    related_resource_codes: list[str] = []
    responsible_department: str
    cooperating_departments: list[str] = []
    security_level: SecurityLevel
    # 许可协议 of the open data: an id of the catalog's licence list (catalog/README, "Licences");
    # None = the bureau's open-data licence.
    license: str | None = None

    _resource_attribute = field_validator("resource_attribute", mode="before")(_enum(ResourceAttribute))
    _format = field_validator("format", mode="before")(_enum(ResourceFormat))
    _share_type = field_validator("share_type", mode="before")(_enum(ShareType))
    _share_method = field_validator("share_method", mode="before")(_enum(ShareMethod))
    _open_type = field_validator("open_type", mode="before")(_enum(OpenType))
    _update_cycle = field_validator("update_cycle", mode="before")(_enum(UpdateCycle))
    _security_level = field_validator("security_level", mode="before")(_enum(SecurityLevel))


class Source(BaseModel):
    """Where the pipeline pulls the data from (the contract's single ODCS server)."""

    type: Literal["local", "sqlite", "postgres", "postgresql", "mysql", "api"]
    format: Literal["csv", "xlsx", "json", "table"] = "table"
    path: str | None = None  # relative to settings.source_root; may be a glob
    encoding: str = "auto"
    delimiter: str = ","  # one character, or "auto": sniffed per file from , ; tab |
    sheet: str | None = None
    header_row: int = 1  # 1-based worksheet row holding the header (xlsx)
    table: str | None = None
    host: str | None = None
    port: int | None = None
    database: str | None = None
    db_schema: str | None = None
    # JSON pages (format json): where the records and the declared total sit in each page.
    records_path: str | None = None  # dotted, e.g. data or data.records; None: the page is the array
    total_path: str | None = None  # dotted, e.g. total; None: no declared total to compare
    # An HTTP API (type api, ODCS `location` = the URL) read page by page with query parameters.
    url: str | None = None
    page_param: str = "page"
    size_param: str = "page_size"
    page_size: int = Field(default=100, ge=1)
    first_page: int = Field(default=1, ge=0)
    max_pages: int = Field(default=1000, ge=1)  # a bound: a server that never ends cannot hang a run
    # Files are only ever added (hourly measurements): a run loads the files not loaded before
    # and appends their rows to the ledger (yibenzhang.ingest.increments).
    append_only: bool = False
    # The date the delivery was extracted; `notAfter: delivery` rules use it. A date or its ISO
    # text (YAML reads an unquoted 2025-06-30 as a date); validation reports anything else.
    snapshot_date: Any = None


class Rule(BaseModel):
    """One quality rule (ODCS `quality` item) on a column or on the whole table."""

    id: str
    metric: Literal["nullValues", "missingValues", "invalidValues", "duplicateValues", "rowCount"]
    column: str | None = None  # None: table-level
    arguments: dict[str, Any] = {}
    dimension: QualityDimension
    severity: Severity = Severity.ERROR
    must_be: Any = None
    must_be_greater_than: float | None = None
    description: str | None = None

    _dimension = field_validator("dimension", mode="before")(_enum(QualityDimension))
    _severity = field_validator("severity", mode="before")(_enum(Severity))

    @property
    def blocking(self) -> bool:
        return self.severity is Severity.ERROR


class Column(BaseModel):
    """信息项: one column of the dataset, with its source header and its rules."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    source_name: str  # header in the delivered file (physicalName), defaults to name
    label: str  # Chinese name (businessName)
    type: LogicalType = "string"
    required: bool = False
    primary_key: bool = False
    personal_info: PersonalInfo = PersonalInfo.NONE
    code_rule: CodeRule | None = None
    formats: list[str] = []  # accepted date/timestamp formats (strptime), first is canonical
    aliases: list[str] = []  # former headers still accepted (reported as header drift)
    # Value standardization options (contracts/README §2.3, yibenzhang.ingest.expressions):
    timezone: str | None = None  # timestamp columns hold instants (TIMESTAMPTZ), local time in this zone
    units: list[str] = []  # number columns: unit suffixes removed ("2层" → 2)
    approximate: Literal["allow", "reject"] = "reject"  # "约100" loaded as 100 and noted, or a problem
    missing_values: list[str] = []  # codes meaning "no value" ("-999", "不详"): loaded as NULL, noted
    normalize: Literal["identifier"] | None = None  # upper case, separators removed, noted
    # Licensee deliveries: how this personal column is masked; None = the default
    # (`yibenzhang.governance.masking.default_masking`). Only on personal/sensitive columns.
    masking: Masking | None = None
    rules: list[Rule] = []

    _personal_info = field_validator("personal_info", mode="before")(_enum(PersonalInfo))
    _masking = field_validator("masking", mode="before")(_enum(Masking))

    @field_validator("units", "missing_values", mode="before")
    @classmethod
    def _scalars_as_text(cls, value: Any) -> Any:
        """One value or a list; YAML numbers (-999) are compared as the text they were written as."""
        if value is None:
            return []
        items = value if isinstance(value, list) else [value]
        return [str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v for v in items]


class Contract(BaseModel):
    """The platform's view of one dataset contract."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    version: str
    description: str = ""
    department: str
    source: Source
    columns: list[Column]
    table_rules: list[Rule] = []
    catalog: CatalogMetadata
    odcs: OpenDataContractStandard = Field(exclude=True, repr=False)

    @property
    def primary_key(self) -> list[str]:
        return [c.name for c in self.columns if c.primary_key]

    @property
    def personal_columns(self) -> list[Column]:
        return [c for c in self.columns if c.personal_info is not PersonalInfo.NONE]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"contract {self.id} has no column {name!r}")

    @property
    def rules(self) -> list[Rule]:
        """Every rule, column rules first then table rules."""
        return [r for c in self.columns for r in c.rules] + list(self.table_rules)

    @classmethod
    def from_odcs(cls, odcs: OpenDataContractStandard) -> Contract:
        if not odcs.schema_:
            raise ContractError(f"contract {odcs.id}: `schema` must define one table")
        table = odcs.schema_[0]
        extension = custom_props(odcs.customProperties)
        if "catalog" not in extension:
            raise ContractError(f"contract {odcs.id}: customProperties `catalog` block is missing")
        if not odcs.servers:
            raise ContractError(f"contract {odcs.id}: `servers` must name the data source")
        server = odcs.servers[0]
        source = Source(**source_fields(server))
        columns = [_column(p) for p in table.properties or []]
        table_rules = [_rule(q, None) for q in table.quality or []]
        description = odcs.description.purpose if odcs.description else ""
        department = odcs.team.name if odcs.team and not isinstance(odcs.team, list) else ""
        return cls(
            id=odcs.id,
            name=odcs.name or odcs.id,
            version=odcs.version or "0.0.0",
            description=description or "",
            department=department or extension["catalog"].get("provider", ""),
            source=source,
            columns=columns,
            table_rules=table_rules,
            catalog=CatalogMetadata.model_validate(extension["catalog"]),
            odcs=odcs,
        )


def source_fields(server: Server) -> dict[str, Any]:
    """`Source` keyword arguments from the ODCS server (customProperties: sheet, header_row, table)."""
    extra = custom_props(server.customProperties)
    fields: dict[str, Any] = dict(
        type=server.type,
        format=server.format or {"local": "csv", "api": "json"}.get(server.type or "", "table"),
        path=server.path or (server.location if server.type != "api" else None),
        url=server.location if server.type == "api" else None,
        encoding=server.encoding or "auto",
        delimiter=server.delimiter or ",",
        host=server.host,
        port=server.port or None,
        database=server.database,
        db_schema=server.schema_,
    )
    # Only Source's own extension fields; unknown customProperties are reported by validation.
    fields.update({k: v for k, v in extra.items() if k in SOURCE_EXTENSION_FIELDS})
    return fields


SOURCE_EXTENSION_FIELDS = ("sheet", "header_row", "table", "records_path", "total_path", "page_param",
                           "size_param", "page_size", "first_page", "max_pages", "append_only",
                           "snapshot_date")


def column_fields(prop: SchemaProperty) -> dict[str, Any]:
    """`Column` keyword arguments from an ODCS schema property, without its rules."""
    extra = custom_props(prop.customProperties)
    formats = extra.get("format") or []
    aliases = extra.get("aliases") or []
    return dict(
        name=prop.name,
        source_name=prop.physicalName or prop.name,
        label=prop.businessName or prop.name,
        type=prop.logicalType or "string",
        required=bool(prop.required),
        primary_key=bool(prop.primaryKey),
        personal_info=extra.get("personal_info", PersonalInfo.NONE),
        code_rule=extra.get("code_rule"),
        formats=[formats] if isinstance(formats, str) else formats,
        aliases=[aliases] if isinstance(aliases, str) else aliases,
        timezone=extra.get("timezone"),
        units=extra.get("unit"),
        approximate=extra.get("approximate", "reject"),
        missing_values=extra.get("missing_values"),
        normalize=extra.get("normalize"),
        masking=extra.get("masking"),
    )


def rule_fields(q: DataQuality, column: str | None) -> dict[str, Any]:
    """`Rule` keyword arguments from an ODCS quality item on `column` (None: table-level)."""
    return dict(
        id=q.id or q.name or f"{column or 'table'}_{q.metric}",
        metric=q.metric or q.rule,
        column=column,
        arguments=q.arguments or {},
        dimension=q.dimension or "validity",
        severity=q.severity or "error",
        must_be=q.mustBe,
        must_be_greater_than=q.mustBeGreaterThan,
        description=q.description,
    )


def _column(prop: SchemaProperty) -> Column:
    return Column(**column_fields(prop), rules=[_rule(q, prop.name) for q in prop.quality or []])


def _rule(q: DataQuality, column: str | None) -> Rule:
    return Rule(**rule_fields(q, column))
