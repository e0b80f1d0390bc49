"""The ledger: quarantine of rejected rows and the versioned Parquet store behind DuckDB views.

- `yibenzhang.ledger.quarantine.split(con, run_id, dataset, std_table, predicates,
  candidate_table, *, primary_key)` → `SplitResult(rows_in, rows_loaded, rows_quarantined,
  per_file)`; `RowPredicate(rule_id, column, violation_sql, reason, reason_is_sql=False)`;
  `SplitCountError` when a file's counts do not add up.
- `yibenzhang.ledger.store.promote(con, dataset, candidate_table, ledger_dir, run_id, keep=3)`
  → `PromoteResult(version, rows, changed, path)`; `open_ledger(ledger_db)`,
  `current_version(con, dataset)`, table `ledger_versions`.
- `yibenzhang.ledger.layout`: the version folders on disk (`dataset_dir`,
  `current_version_dir`, `version_files_glob`), for readers that do not open the DuckDB file.
"""
