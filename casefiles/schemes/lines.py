"""Read a YAML file keeping the line of every node, so errors can say ``file:line``.

PyYAML, with its libyaml parser when it was built with it (ten times faster; the pure-Python one otherwise: same
nodes, same marks). The file is parsed once: the data is constructed from the node tree the lines come from.
``load_with_lines(path)`` returns the data (as ``yaml.safe_load`` would) and a
:class:`LineMap` whose ``line_of(("workflow", "transitions", 3, "guard"))`` is the 1-based line of that node,
or of its nearest ancestor that exists.
"""

from pathlib import Path

import yaml


class LineMap:
    def __init__(self, lines):
        self.lines = lines

    def line_of(self, where):
        where = tuple(where)
        while where and where not in self.lines:
            where = where[:-1]
        return self.lines.get(where, 1)


def _walk(node, path, lines):
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = key.value
            lines[(*path, name)] = key.start_mark.line + 1
            _walk(value, (*path, name), lines)
            lines[(*path, name)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines)


LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_with_lines(path):
    text = Path(path).read_text(encoding="utf-8")
    loader = LOADER(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    lines = {}
    if node is not None:
        _walk(node, (), lines)
    return data, LineMap(lines)
