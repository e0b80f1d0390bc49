"""The registry (资源登记): governance records in SQLAlchemy, lifecycle, resource codes, runs.

Modules: `db` (engine, Alembic upgrade, sessions), `models`, `lifecycle`, `codes`, `runs`.
"""
