"""Formats of the "mdy" choice (see backoffice.formats)."""

from backoffice.formats import module_values

globals().update(module_values("mdy"))
