"""`python -m ybz.stack up|down|status`."""

from ybz.stack.cli import app

app(prog_name="ybz stack")
