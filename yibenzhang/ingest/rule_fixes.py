"""Fixes a rule declares, applied to the standardized table before the split.

Two rules can say how to put their violations right (`fix:` in the rule's arguments):

- `agreesWith` on a resident ID number, `fix: fromId`: the ID (GB 11643) is authoritative,
  so a sex or birth date that disagrees with a valid ID is replaced by what the ID encodes;
- `consistent: [code, name]` (a table rule), `fix: first`: every row of a code gets the name
  first delivered for it (delivery order: file, then row), e.g. a station renamed mid-series.

Each changed value becomes a note (`<table>__notes`: the value as delivered and why it changed,
rule id `<rule id>_fixed`), so the department sees every row that was put right; the rule's
check then passes on the fixed data. A rule without `fix` only reports, as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from yibenzhang.contracts.model import Contract, Rule
from yibenzhang.duckdb_sql import first_delivered, notes_table
from yibenzhang.duckdb_sql import quote_column as qc
from yibenzhang.duckdb_sql import quote_table as q
from yibenzhang.duckdb_sql import string_literal as lit
from yibenzhang.resident_id import DEFAULT_SEX_VALUES, birth_date_from_id, sex_from_id
from yibenzhang.vocabulary import CodeRule

FROM_ID = "fromId"
FIRST = "first"
_FIXES = "_ybz_rule_fixes"


@dataclass(frozen=True)
class ColumnFix:
    """One column of the standardized table set from an expression where `condition` holds."""

    rule_id: str
    column: str
    label: str
    value_sql: str  # the right value (typed like the column)
    condition: str  # TRUE where the delivered value is to be replaced
    why: str  # appended to the note: "from the ID number (GB 11643)"


def rule_fixes(contract: Contract) -> list[ColumnFix]:
    """Every fix the contract's rules declare (validation has checked their arguments)."""
    fixes: list[ColumnFix] = []
    for rule in contract.rules:
        if rule.metric != "invalidValues":
            continue
        if rule.arguments.get("fix") == FROM_ID and "agreesWith" in rule.arguments and rule.column:
            fixes += _from_id(contract, rule)
        if rule.arguments.get("fix") == FIRST and "consistent" in rule.arguments:
            fixes += _first_name(contract, rule)
    return fixes


def _from_id(contract: Contract, rule: Rule) -> list[ColumnFix]:
    id_col = contract.column(str(rule.column))
    if id_col.code_rule is not CodeRule.RIC:
        return []
    spec = rule.arguments["agreesWith"]
    male, female = rule.arguments.get("sexValues") or DEFAULT_SEX_VALUES
    c = qc(id_col.name)
    valid = f"{c} IS NOT NULL AND ybz_ric_valid({c})"
    out = []
    if isinstance(spec, dict) and "sex" in spec:
        sex = contract.column(spec["sex"])
        derived = sex_from_id(c, male, female)
        out.append(ColumnFix(rule.id, sex.name, sex.label, derived,
                             f"{valid} AND {qc(sex.name)} IS DISTINCT FROM {derived}",
                             f"from the ID number {id_col.label} (GB 11643)"))
    if isinstance(spec, dict) and "birthDate" in spec:
        birth = contract.column(spec["birthDate"])
        derived = birth_date_from_id(c)
        out.append(ColumnFix(rule.id, birth.name, birth.label, derived,
                             f"{valid} AND {derived} IS NOT NULL AND CAST({qc(birth.name)} AS DATE) IS DISTINCT FROM {derived}",
                             f"from the ID number {id_col.label} (GB 11643)"))
    return out


def _first_name(contract: Contract, rule: Rule) -> list[ColumnFix]:
    names = rule.arguments["consistent"]
    if not (isinstance(names, list) and len(names) == 2):
        return []
    code, name = (contract.column(n) for n in names)
    k, v = qc(code.name), qc(name.name)
    first = first_delivered(v, k)
    return [ColumnFix(rule.id, name.name, name.label, first,
                      f"{k} IS NOT NULL AND {v} IS NOT NULL AND {v} <> {first}",
                      f"the {name.label} first delivered for this {code.label}")]


def apply_rule_fixes(con: duckdb.DuckDBPyConnection, contract: Contract, table: str) -> int:
    """Put the declared fixes into `table` (standardized) and note each changed value in its
    notes table. Returns the number of values changed. Code-check macros must be registered
    (`quality.codes.register_code_functions`) when a fix reads an ID number."""
    changed = 0
    for fix in rule_fixes(contract):
        col = qc(fix.column)
        # Windows are not allowed in UPDATE: the new values are computed first.
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {_FIXES} AS SELECT _file, _row, _line, "
            f"CAST({col} AS VARCHAR) AS delivered, new_value FROM ("
            f"SELECT *, {fix.value_sql} AS new_value, ({fix.condition}) AS to_fix FROM {q(table)}) WHERE to_fix"
        )
        head = f"{fix.label} ({fix.column}): '"
        tail = f"' put right {fix.why}, to '"
        con.execute(
            f"INSERT INTO {q(notes_table(table))} SELECT _file, _row, _line, {lit(fix.column)}, delivered, "
            f"{lit(head)} || coalesce(delivered, '') || {lit(tail)} || CAST(new_value AS VARCHAR) || '''', "
            f"{lit(fix.rule_id + '_fixed')} FROM {_FIXES}"
        )
        con.execute(f"UPDATE {q(table)} AS t SET {col} = f.new_value FROM {_FIXES} f "
                    f"WHERE t._file = f._file AND t._row = f._row")
        row = con.execute(f"SELECT count(*) FROM {_FIXES}").fetchone()
        changed += int(row[0]) if row else 0
        con.execute(f"DROP TABLE {_FIXES}")
    return changed
