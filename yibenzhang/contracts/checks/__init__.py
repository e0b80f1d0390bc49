"""Consistency rules a contract must satisfy beyond its structure (catalog-vocabulary.md).

Each rule is one small function `check_x(parts) -> list[Finding]`. A rule skips pieces that
failed to build (their errors are already reported) and reads partial models with getattr, so
one broken field does not hide other problems.
"""

from __future__ import annotations

from collections.abc import Callable

from yibenzhang.contracts.checks.catalog import (
    check_category,
    check_core_sharing,
    check_important_not_open,
    check_open_condition,
    check_personal_columns_open,
    check_provider_code,
    check_publish_date,
    check_share_basis,
    check_share_condition,
    check_share_method_fits_format,
)
from yibenzhang.contracts.checks.columns import (
    check_code_rule_on_text,
    check_date_formats,
    check_has_columns,
    check_header_aliases,
    check_masking,
    check_primary_key_required,
    check_unique_column_names,
    check_unique_source_headers,
    check_value_options,
)
from yibenzhang.contracts.checks.identity import (
    check_envelope,
    check_id_matches_file,
    check_id_pattern,
)
from yibenzhang.contracts.checks.rules import (
    check_rule_arguments,
    check_rule_columns,
    check_rule_ids_unique,
    check_rule_placement,
    check_rule_thresholds,
    check_snapshot_date,
)
from yibenzhang.contracts.checks.source import (
    check_delimiter_and_increments,
    check_json_source,
    check_source_location,
)
from yibenzhang.contracts.checks.unknown import (
    check_unknown_catalog_fields,
    check_unknown_custom_properties,
    check_unknown_odcs_fields,
)
from yibenzhang.contracts.parts import Parts
from yibenzhang.contracts.problems import Finding

Check = Callable[[Parts], list[Finding]]

ALL_CHECKS: tuple[Check, ...] = (
    check_envelope,
    check_id_pattern,
    check_id_matches_file,
    check_core_sharing,
    check_important_not_open,
    check_personal_columns_open,
    check_share_condition,
    check_open_condition,
    check_share_basis,
    check_share_method_fits_format,
    check_publish_date,
    check_provider_code,
    check_category,
    check_has_columns,
    check_unique_column_names,
    check_unique_source_headers,
    check_primary_key_required,
    check_code_rule_on_text,
    check_date_formats,
    check_header_aliases,
    check_value_options,
    check_masking,
    check_rule_ids_unique,
    check_rule_arguments,
    check_rule_thresholds,
    check_rule_placement,
    check_rule_columns,
    check_snapshot_date,
    check_source_location,
    check_json_source,
    check_delimiter_and_increments,
    check_unknown_odcs_fields,
    check_unknown_catalog_fields,
    check_unknown_custom_properties,
)

__all__ = ["ALL_CHECKS", "Check", *(check.__name__ for check in ALL_CHECKS)]
