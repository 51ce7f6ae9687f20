"""The docs tests need the ``[docs]`` extra (and the browser test Debian's chromium), so they are kept out of the
default suite: a test here runs only when ``-m`` names its marker (``docs``, ``notebooks`` or ``browser``), as
``.ci/run``'s docs steps do: ``python -m pytest -q -m docs tests/docs``."""
import pathlib

HERE = pathlib.Path(__file__).parent
MARKERS = {"docs": "the docs generator and the strict site build (needs the [docs] extra)",
           "notebooks": "executes every notebook top to bottom (needs the [docs] extra; minutes)",
           "browser": "opens the built site in headless Chromium (needs Debian's chromium)"}


def pytest_configure(config):
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")


def pytest_ignore_collect(collection_path, config):
    """Without ``-m docs|notebooks|browser`` the test files are not even imported: the default suite runs without the
    [docs] extra, whose packages they import."""
    if collection_path.parent == HERE and collection_path.name.startswith("test_"):
        wanted = config.getoption("markexpr") or ""
        if not any(m in wanted for m in MARKERS):
            return True
    return None


def pytest_collection_modifyitems(config, items):
    wanted = config.getoption("markexpr") or ""
    keep, drop = [], []
    for item in items:
        here = HERE in pathlib.Path(str(item.fspath)).parents
        named = [m for m in MARKERS if item.get_closest_marker(m)]
        (drop if here and not any(m in wanted for m in named) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
