"""Checks of what admins type into a configuration: regular expressions, combo options, external fields."""

import re
from re import _parser as sre_parse  # type: ignore[attr-defined]  # Python 3.11's parser of patterns
from typing import Any

MAX_REGEX_LENGTH = 200
MAX_REPEAT_BOUND = 1000
# Unbounded repetitions in one pattern: each one more multiplies the worst case of a failing match by the
# length of the value (at most MAX_CHECKED_VALUE characters are checked against a pattern).
MAX_UNBOUNDED_REPEATS = 3
MAX_CHECKED_VALUE = 256
MAX_COMBO_OPTIONS = 200
MAX_OPTION_VALUE = 100
MAX_OPTION_LABEL = 200
EXTERNAL_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]{0,99}(\.[A-Za-z0-9_\-]{1,100}){0,9}")

_REPEATS = {sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT, getattr(sre_parse, "POSSESSIVE_REPEAT", None)} - {None}


def _walk(items, inside_unbounded: bool, counted: list[int]) -> str | None:
    for op, argument in items:
        if op in _REPEATS:
            low, high, body = argument
            if high != sre_parse.MAXREPEAT and high > MAX_REPEAT_BOUND or low > MAX_REPEAT_BOUND:
                return f"Repetition counts above {MAX_REPEAT_BOUND} are not allowed."
            unbounded = high == sre_parse.MAXREPEAT or high > 1
            if unbounded and inside_unbounded:
                return "Nested repetition such as (a+)+ can take forever to check: rewrite it without nesting."
            if high == sre_parse.MAXREPEAT:
                counted[0] += 1
                if counted[0] > MAX_UNBOUNDED_REPEATS:
                    return f"Use at most {MAX_UNBOUNDED_REPEATS} open-ended repetitions (*, +, {{n,}})."
            problem = _walk(body, inside_unbounded or unbounded, counted)
        elif op in (sre_parse.GROUPREF, sre_parse.GROUPREF_EXISTS):
            return "Back-references are not allowed."
        elif op == sre_parse.SUBPATTERN:
            problem = _walk(argument[-1], inside_unbounded, counted)
        elif op == sre_parse.BRANCH:
            if inside_unbounded:
                return (
                    "Alternatives inside a repetition such as (a|ab)* can take forever to check: use a character class."
                )
            problem = next((p for branch in argument[1] if (p := _walk(branch, inside_unbounded, counted))), None)
        elif op in (sre_parse.ASSERT, sre_parse.ASSERT_NOT):
            problem = _walk(argument[1], inside_unbounded, counted)
        else:
            problem = None
        if problem:
            return problem
    return None


def regex_problem(pattern: str) -> str | None:
    """Why a validation pattern is refused (too long, invalid, or slow to match), or None."""
    if len(pattern) > MAX_REGEX_LENGTH:
        return f"Keep the regular expression under {MAX_REGEX_LENGTH} characters."
    try:
        parsed = sre_parse.parse(pattern)
        re.compile(pattern)
    except re.error as error:
        return f"Not a valid regular expression: {error.msg} (at position {error.pos})."
    except (RecursionError, OverflowError):
        return "The regular expression is too deeply nested."
    return _walk(parsed, False, [0])


def combo_options_problems(options: Any) -> list[str]:
    """Problems of a combo's options: [{"value", "label", "order", "default"}], unique values, one default at most."""
    if not isinstance(options, list):
        return ["Give the options as a list."]
    if len(options) > MAX_COMBO_OPTIONS:
        return [f"A combo has at most {MAX_COMBO_OPTIONS} options."]
    problems = []
    seen: set[str] = set()
    defaults = 0
    for number, option in enumerate(options, start=1):
        if not isinstance(option, dict) or set(option) - {"value", "label", "order", "default"}:
            problems.append(f"Option {number}: give a value, a label, an order and whether it is the default.")
            continue
        value, label = option.get("value"), option.get("label")
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_OPTION_VALUE:
            problems.append(f"Option {number}: the value must be 1 to {MAX_OPTION_VALUE} characters.")
        elif value in seen:
            problems.append(f"Option {number}: the value {value[:50]!r} is there twice.")
        else:
            seen.add(value)
        if not isinstance(label, str) or not label.strip() or len(label) > MAX_OPTION_LABEL:
            problems.append(f"Option {number}: the label must be 1 to {MAX_OPTION_LABEL} characters.")
        order = option.get("order", number)
        if not isinstance(order, int) or isinstance(order, bool) or not 0 <= order <= 10_000:
            problems.append(f"Option {number}: the order is a whole number from 0 to 10000.")
        if option.get("default") is True:
            defaults += 1
        elif option.get("default") not in (None, False):
            problems.append(f"Option {number}: default is true or false.")
    if defaults > 1:
        problems.append("Only one option can be the default.")
    return problems


def parse_combo_lines(text: str) -> list[dict]:
    """Options from lines "value | label" (add "| default" to the default one); the line order is the order."""
    options = []
    for number, line in enumerate((line for line in text.splitlines() if line.strip()), start=1):
        parts = [part.strip() for part in line.split("|")]
        value = parts[0]
        label = parts[1] if len(parts) > 1 and parts[1] else value
        default = len(parts) > 2 and parts[2].lower() in ("default", "yes", "true", "*")
        options.append({"value": value, "label": label, "order": number, "default": default})
    return options


def combo_lines(options: list[dict] | None) -> str:
    """The text the form shows for stored options (the inverse of parse_combo_lines)."""
    rows = sorted(options or [], key=lambda o: o.get("order", 0))
    return "\n".join(
        f"{o['value']} | {o['label']}" + (" | default" if o.get("default") else "") for o in rows if "value" in o
    )
