"""Building blocks of the demo-city generator (see demo/generate.py).

Only the standard library, python-stdnum and openpyxl are used, so the generator runs in any
environment that can run the project.
"""
