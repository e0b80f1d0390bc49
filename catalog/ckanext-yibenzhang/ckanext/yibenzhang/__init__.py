"""ckanext-yibenzhang: the portal face of 一本账's use side (sharing and authorized operation)."""
