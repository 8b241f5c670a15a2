"""What AWS said, in one word: the error code of a botocore ``ClientError`` (or the exception's
type name for anything else), for one-line messages that never carry a traceback."""

from __future__ import annotations


def error_code(error: Exception) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", type(error).__name__))
