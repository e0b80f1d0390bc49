import sys
from pathlib import Path

# The constructed city of the KPI tests (tests/kpi/kpi_city.py) is the report's input too.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kpi"))
