"""An automation as data: nodes and edges, validated on save so that a saved graph always runs.

Checks: known node types, each node's configuration, edges between existing nodes with the
labels their source allows, at least one trigger and no edge into a trigger, every node
reachable from a trigger, no cycle (repetition is the `for_each` node's job), and templates that
only reference the trigger, nodes that always run before, or the loop item inside a loop."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cognitest.schemas.automation.nodes import EDGE_LABELS, NODE_TYPES, TRIGGERS, NodeConfig, ScheduleTrigger, Switch
from cognitest.schemas.automation.templates import references

NODE_ID = r"^[a-z][a-z0-9_]{0,63}$"


class Node(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=NODE_ID)
    type: str = Field(max_length=64)
    name: str | None = Field(default=None, max_length=200)
    config: dict[str, Any] = Field(default_factory=dict)


class Edge(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str
    target: str
    label: str | None = Field(default=None, max_length=200)


class Graph(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nodes: list[Node] = Field(min_length=1, max_length=200)
    edges: list[Edge] = Field(default_factory=list, max_length=1000)

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes if n.id == node_id)

    def outgoing(self, node_id: str) -> list[Edge]:
        return [e for e in self.edges if e.source == node_id]

    def triggers(self) -> list[Node]:
        return [n for n in self.nodes if n.type in TRIGGERS]

    def config(self, node: Node) -> NodeConfig:
        return NODE_TYPES[node.type].model_validate(node.config)


class Problem(BaseModel):
    node: str | None = None
    field: str | None = None
    message: str


class GraphInvalid(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.node or 'graph'}{'.' + p.field if p.field else ''}: {p.message}" for p in problems))


def parse_graph(raw: Any) -> Graph:
    """The graph, or GraphInvalid listing every problem found."""
    try:
        graph = Graph.model_validate(raw)
    except ValidationError as exc:
        raise GraphInvalid([Problem(field=".".join(str(p) for p in e["loc"]) or None, message=e["msg"])
                            for e in exc.errors()]) from None
    problems = _problems(graph)
    if problems:
        raise GraphInvalid(problems)
    return graph


def _problems(graph: Graph) -> list[Problem]:
    problems: list[Problem] = []
    ids = [n.id for n in graph.nodes]
    for duplicate in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(Problem(node=duplicate, message="node id used more than once"))
    known = set(ids)
    for node in graph.nodes:
        problems += _node_problems(graph, node)
    for edge in graph.edges:
        for end in (edge.source, edge.target):
            if end not in known:
                problems.append(Problem(node=end, message="edge refers to a node that does not exist"))
    if problems:
        return problems
    if not graph.triggers():
        return [Problem(message="an automation needs at least one trigger node")]
    for edge in graph.edges:
        if graph.node(edge.target).type in TRIGGERS:
            problems.append(Problem(node=edge.target, message="a trigger cannot have incoming edges"))
    problems += _edge_label_problems(graph)
    cycle = _find_cycle(graph)
    if cycle:
        problems.append(Problem(node=cycle[0], message="cycle " + " -> ".join(cycle) + " (use a for_each node to repeat)"))
        return problems
    reachable = _reachable(graph, [t.id for t in graph.triggers()])
    for node in graph.nodes:
        if node.id not in reachable:
            problems.append(Problem(node=node.id, message="not reachable from any trigger"))
    if not problems:
        problems += _template_problems(graph)
    return problems


def _node_problems(graph: Graph, node: Node) -> list[Problem]:
    kind = NODE_TYPES.get(node.type)
    if kind is None:
        return [Problem(node=node.id, field="type", message=f"unknown node type {node.type!r}; known: {', '.join(sorted(NODE_TYPES))}")]
    try:
        config = kind.model_validate(node.config)
    except ValidationError as exc:
        return [Problem(node=node.id, field=".".join(["config", *map(str, e["loc"])]), message=e["msg"])
                for e in exc.errors()]
    if isinstance(config, ScheduleTrigger) and (config.cron is None) == (config.interval_seconds is None):
        return [Problem(node=node.id, field="config", message="a schedule needs exactly one of cron or interval_seconds")]
    return []


def _edge_label_problems(graph: Graph) -> list[Problem]:
    problems = []
    for node in graph.nodes:
        labels = [e.label for e in graph.outgoing(node.id)]
        allowed = EDGE_LABELS.get(node.type)
        if node.type == "switch":
            allowed = {*Switch.model_validate(node.config).cases, "default"}
        if allowed is None:
            if any(label is not None for label in labels):
                problems.append(Problem(node=node.id, message=f"edges from a {node.type} node take no label"))
            continue
        for label in labels:
            if label not in allowed:
                problems.append(Problem(node=node.id, message=f"edge label {label!r} not one of {sorted(allowed)}"))
    return problems


def _find_cycle(graph: Graph) -> list[str] | None:
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node_id: str) -> list[str] | None:
        state[node_id] = 1
        path.append(node_id)
        for edge in graph.outgoing(node_id):
            if state.get(edge.target) == 1:
                return path[path.index(edge.target):] + [edge.target]
            if edge.target not in state and (found := visit(edge.target)):
                return found
        path.pop()
        state[node_id] = 2
        return None

    for node in graph.nodes:
        if node.id not in state and (found := visit(node.id)):
            return found
    return None


def _reachable(graph: Graph, starts: list[str], skip_labels: frozenset[str] = frozenset()) -> set[str]:
    seen: set[str] = set()
    todo = list(starts)
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo += [e.target for e in graph.outgoing(current) if e.label not in skip_labels]
    return seen


def _always_before(graph: Graph, node_id: str) -> set[str]:
    """Nodes that run before this one on every path from a trigger (dominators, minus itself)."""
    parents: dict[str, list[str]] = {n.id: [] for n in graph.nodes}
    for edge in graph.edges:
        parents[edge.target].append(edge.source)
    order = [n.id for n in graph.nodes]
    dom: dict[str, set[str]] = {n: {n} if not parents[n] else set(order) for n in order}
    changed = True
    while changed:
        changed = False
        for n in order:
            if not parents[n]:
                continue
            new = {n} | set.intersection(*(dom[p] for p in parents[n]))
            if new != dom[n]:
                dom[n], changed = new, True
    return dom[node_id] - {node_id}


def _in_loop(graph: Graph, node_id: str) -> bool:
    for loop in (n for n in graph.nodes if n.type == "for_each"):
        bodies = [e.target for e in graph.outgoing(loop.id) if e.label == "each"]
        if node_id in _reachable(graph, bodies):
            return True
    return False


def _template_problems(graph: Graph) -> list[Problem]:
    problems = []
    for node in graph.nodes:
        before = _always_before(graph, node.id)
        for path in references(node.config):
            root, _, rest = path.partition(".")
            if root in ("trigger", "execution", "project"):
                continue
            if root in ("item", "index"):
                if not _in_loop(graph, node.id):
                    problems.append(Problem(node=node.id, message=f"{{{{ {path} }}}}: only inside a for_each branch"))
                continue
            if root == "nodes":
                target = rest.split(".", 1)[0]
                if target not in before:
                    problems.append(Problem(node=node.id, message=f"{{{{ {path} }}}}: node {target!r} does not always run before this one"))
                continue
            problems.append(Problem(node=node.id, message=f"{{{{ {path} }}}}: unknown name {root!r} (use trigger, nodes, item, index, execution, project)"))
    return problems

