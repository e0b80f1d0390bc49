"""Data contracts: ODCS v3 YAML files, one per dataset (contracts/)."""

from yibenzhang.contracts.model import CatalogMetadata, Column, Contract, Rule, Source

__all__ = ["CatalogMetadata", "Column", "Contract", "Rule", "Source"]
