"""Source rules: a file source names its file, a database source its table, an api source its URL."""

from __future__ import annotations

from urllib.parse import urlsplit

from yibenzhang.contracts.model import Source
from yibenzhang.contracts.parts import SERVER_PATH, Parts, as_list
from yibenzhang.contracts.problems import Finding, Prop

DATABASE_TYPES = ("sqlite", "postgres", "postgresql", "mysql")


def check_source_location(parts: Parts) -> list[Finding]:
    s = parts.source
    if s is None:
        return []
    out = []
    if s.type == "local":
        if s.format not in ("csv", "xlsx", "json"):
            out.append(Finding(SERVER_PATH + ("format",), f"a local source is a csv, xlsx or json file, not {s.format}"))
        if not s.path:
            out.append(Finding(SERVER_PATH + ("path",), "a local source needs path: the file (or glob) under the source root"))
    elif s.type == "api":
        out += _check_api(s)
    elif s.type in DATABASE_TYPES:
        if not s.table:
            out.append(Finding(SERVER_PATH + ("customProperties", Prop("table")), f"a {s.type} source needs customProperties table: the table to read"))
        if s.type == "sqlite" and not s.path:
            out.append(Finding(SERVER_PATH + ("path",), "a sqlite source needs path: the .db file"))
        if s.type != "sqlite" and not s.database:
            out.append(Finding(SERVER_PATH + ("database",), f"a {s.type} source needs database"))
    return out


def _check_api(s: Source) -> list[Finding]:
    out = []
    if s.format != "json":
        out.append(Finding(SERVER_PATH + ("format",), f"an api source delivers json pages, not {s.format}"))
    url = urlsplit(s.url or "")
    if url.scheme not in ("http", "https") or not url.netloc:
        out.append(Finding(SERVER_PATH + ("location",),
                           "an api source needs location: the http(s) URL of the paginated endpoint, "
                           "e.g. https://api.example.gov.cn/yiliao_jigou"))
    if s.page_param == s.size_param:
        out.append(Finding(SERVER_PATH + ("customProperties", Prop("size_param")),
                           f"page_param and size_param are both {s.page_param!r}: the page number and the page "
                           f"size need two query parameters"))
    return out


def check_json_source(parts: Parts) -> list[Finding]:
    """JSON options: dotted paths well formed, and options set where they are read."""
    s = parts.source
    if s is None:
        return []
    out = []
    for name in ("records_path", "total_path"):
        value = getattr(s, name, None)
        if value is not None and (not value.strip() or any(not k.strip() for k in value.split("."))):
            out.append(Finding(SERVER_PATH + ("customProperties", Prop(name)),
                               f"{name} {value!r} is not a dotted path of keys, e.g. data or data.records"))
    declared = _declared_server_properties(parts)
    if s.format != "json":
        for name in sorted(declared & {"records_path", "total_path"}):
            out.append(Finding(SERVER_PATH + ("customProperties", Prop(name)),
                               f"{name} is only read for format json; this source is {s.format}", "warning"))
    if s.type != "api":
        for name in sorted(declared & set(PAGING_PROPERTIES)):
            out.append(Finding(SERVER_PATH + ("customProperties", Prop(name)),
                               f"{name} is only read for an api source (type api); this source is {s.type}",
                               "warning"))
    return out


PAGING_PROPERTIES = ("page_param", "size_param", "page_size", "first_page", "max_pages")


def _declared_server_properties(parts: Parts) -> set[str]:
    servers = as_list(parts.data.get("servers"))
    items = servers[0].get("customProperties") if servers and isinstance(servers[0], dict) else None
    return {str(p.get("property")) for p in as_list(items) if isinstance(p, dict)}


def check_delimiter_and_increments(parts: Parts) -> list[Finding]:
    """`delimiter` is one ASCII character or `auto`; `append_only` needs files to add."""
    s = parts.source
    if s is None:
        return []
    out = []
    delimiter = getattr(s, "delimiter", ",")
    if delimiter != "auto" and (len(delimiter) != 1 or not delimiter.isascii() or delimiter in "\"\r\n"):
        out.append(Finding(SERVER_PATH + ("delimiter",),
                           f"delimiter {delimiter!r} must be one ASCII character (e.g. \",\", \";\", \"\\t\", \"|\") "
                           f"or auto (sniffed per file)"))
    if getattr(s, "append_only", False) and (s.type != "local" or s.format not in ("csv", "xlsx")):
        out.append(Finding(SERVER_PATH + ("customProperties", Prop("append_only")),
                           f"append_only applies to delivered csv or xlsx files (type local): new files "
                           f"are added, old ones never change; this source is {s.type} {s.format}"))
    return out
