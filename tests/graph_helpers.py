"""Shared helper for the tests that look at the autograd graph itself (freeing, leaks)."""
from tinygrad_gen import Tensor


def graph_nodes(t):
    """Every Context reachable from ``t``'s graph (an iterative walk, so deep graphs don't hit the recursion limit)."""
    nodes, stack = [], [t._ctx]
    while stack:
        node = stack.pop()
        if node is None or any(node is n for n in nodes):
            continue
        nodes.append(node)
        stack.extend(x._ctx for x in node.inputs if isinstance(x, Tensor))
    return nodes
