"""Request body parsers of the API."""

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError


def _check_json_value(value, max_depth: int) -> None:
    """Refuse nesting deeper than `max_depth` and NUL characters in strings (keys too); iterative."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise ParseError("JSON strings must not contain NUL characters.")
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > max_depth:
            raise ParseError(f"JSON nested deeper than {max_depth} levels.")
        children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
        pending.extend((child, depth + 1) for child in children)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with limits: bounded nesting, no NUL characters, 400 rather than a crash."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON nested deeper than {settings.JSON_MAX_DEPTH} levels.") from None
        _check_json_value(data, settings.JSON_MAX_DEPTH)
        return data
