"""Ingest: read delivered files into DuckDB staging tables, then standardize them."""
