"""Shared helper for the viz tests: read a drawn graph's DOT text back into nodes and edges."""
import re

NODE = re.compile(r'^\s*(\w+) \[label="((?:[^"\\]|\\.)*)"(.*)\];$')
EDGE = re.compile(r'^\s*(\w+) -> (\w+)(?: \[label="([^"]*)"\])?;$')


def parse_dot(source):
    """({node id: (label lines, attribute text)}, [(source id, target id, edge label)]) of ``tg.draw``'s DOT."""
    nodes, edges = {}, []
    for line in source.splitlines():
        m = EDGE.match(line)
        if m:
            edges.append((m.group(1), m.group(2), m.group(3) or ""))
            continue
        m = NODE.match(line)
        if m:
            label = m.group(2).replace('\\"', '"').split("\\n")
            nodes[m.group(1)] = (label, m.group(3))
    return nodes, edges


def named_edges(source):
    """The edges with each end named by the first line of its label (an op's name, a tensor's given name)."""
    nodes, edges = parse_dot(source)
    return sorted((nodes[a][0][0], nodes[b][0][0]) for a, b, _ in edges)
