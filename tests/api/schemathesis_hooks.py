"""Loaded by the schemathesis command (SCHEMATHESIS_HOOKS) in tests/api/test_schemathesis.py.

Python 3.11 keeps one recursion counter per interpreter for turning a parsed tree into Python
objects (CPython gh-106905): two threads inside `ast.parse` at once, when a garbage collection lets
the other thread run mid-parse, make the second parse fail with "AST constructor recursion depth
mismatch". Hypothesis parses the source of every lambda it describes, and schemathesis runs its
workers as threads, so a run failed now and then on no answer of the API. Describing one lambda at
a time removes the race; the descriptions are cached, so the lock is taken a few hundred times a run.
"""

import functools
import threading

from hypothesis.internal import lambda_sources

_describing = threading.RLock()
_describe = lambda_sources.lambda_description


@functools.wraps(_describe)
def _describe_one_at_a_time(f):
    with _describing:
        return _describe(f)


lambda_sources.lambda_description = _describe_one_at_a_time
