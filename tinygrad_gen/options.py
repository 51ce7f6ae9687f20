"""Types for the numeric options of ``tgg train`` / ``tgg sample`` (``parser.add_argument(..., type=positive_int)``).

Each refuses a value out of range when the command line is parsed, so a bad option is one clear line and a non-zero
exit instead of a silent empty run (``--epochs -1``) or a ZeroDivisionError deep in a loop (``--checkpoint-every 0``).
"""
import argparse


def _number(kind, text, ok, bound):
    try:
        value = kind(text)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"must be {'an integer' if kind is int else 'a number'} {bound}, "
                                         f"got {text!r}") from None
    if not ok(value):
        raise argparse.ArgumentTypeError(f"must be {bound}, got {text}")
    return value


def positive_int(text):
    """An integer >= 1 (counts, sizes, intervals)."""
    return _number(int, text, lambda v: v >= 1, ">= 1")


def nonnegative_int(text):
    """An integer >= 0 (where 0 means off or none)."""
    return _number(int, text, lambda v: v >= 0, ">= 0")


def positive_float(text):
    """A finite number > 0 (learning rates, temperatures)."""
    return _number(float, text, lambda v: 0 < v < float("inf"), "> 0")
