"""(family stub: filled in by the redesign)"""
BINDINGS: list = []
CASES: list = []
