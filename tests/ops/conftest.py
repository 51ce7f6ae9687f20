"""Parametrizes the ``FamilyChecks`` tests of each family's test file with that family's rows."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # family_checks.py, for the test files of this folder

NEEDS_TWIN = ("test_matches_pytorch", "test_in_place_change_after_forward_is_caught_as_in_pytorch")


def pytest_generate_tests(metafunc):
    family = getattr(metafunc.cls, "family", None)
    if family is None or "case" not in metafunc.fixturenames:
        return
    cases = [c for c in family.CASES if c.torch is not None or metafunc.function.__name__ not in NEEDS_TWIN]
    metafunc.parametrize("case", cases, ids=[c.name for c in cases])
