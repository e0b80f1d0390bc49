"""The governance HTTP API (FastAPI): the only package importing fastapi and uvicorn.
`uvicorn --factory yibenzhang.api.app:create_app` (started by `ybz stack up`)."""
