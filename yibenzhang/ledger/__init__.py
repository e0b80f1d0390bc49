"""The ledger: quarantine of rejected rows and the versioned Parquet store behind DuckDB views."""
