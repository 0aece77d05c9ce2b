"""Runs the schemathesis CLI (tests/test_api_fuzz.py) with one work-around for the interpreter: on CPython
3.11 before 3.11.9, `ast.parse` deep in a stack can raise "SystemError: AST constructor recursion depth
mismatch", which Hypothesis meets while it merely names a strategy's lambda for a message. A name is not
worth a crashed run, so that one call falls back to Hypothesis' own "unknown lambda" text."""

from __future__ import annotations

import sys

from hypothesis.internal import lambda_sources

_describe = lambda_sources._lambda_description


def _tolerant(*args, **kwargs):  # type: ignore[no-untyped-def]
    try:
        return _describe(*args, **kwargs)
    except SystemError:
        return "lambda: <unknown>"


lambda_sources._lambda_description = _tolerant

if __name__ == "__main__":
    from schemathesis.cli import schemathesis

    sys.argv[0] = "schemathesis"
    sys.exit(schemathesis())
