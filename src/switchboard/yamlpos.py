"""Where a value stands in a YAML file, so that configuration errors name file, line and field.

Shared by the scenario loader (``sim.scenario``) and the configuration loader
(``store.config``): pydantic reports a location such as ``("queues", 1, "sl")``; the file is
composed with PyYAML (nodes keep their positions) and the location is walked down the nodes.
"""

from __future__ import annotations

from collections.abc import Sequence

import yaml


def line_of(node: yaml.Node | None, loc: Sequence[int | str]) -> int:
    """Line (1-based) of the value at ``loc`` in a composed YAML tree, or of its nearest parent
    found; for a scalar value, the line of its key."""
    if node is None:
        return 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    node = value if not isinstance(value, yaml.ScalarNode) else key
                    break
            else:
                break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
        else:
            break
    return int(node.start_mark.line) + 1


def path_text(loc: Sequence[int | str]) -> str:
    """``("queues", 1, "sl")`` -> ``queues[1].sl``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
