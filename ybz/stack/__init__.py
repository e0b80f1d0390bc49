"""The local CKAN stack: PostgreSQL, Redis, Solr 9 (Chinese search) and CKAN 2.12.

`ybz stack up|down|status` (see ybz.stack.cli); everything it installs or writes lives under
the git-ignored `.stack/` folder. See stack/README.md.
"""
