"""What the customer pages show, in words and shapes: labels, and the link graph's layout.

The graph is drawn on the server as SVG: the customer in the middle, the customers linked to it
directly on a ring around it, and those reached through them on a second ring; each edge is
labelled with what the two share. The layout is deterministic (sorted ids), so the same links
always look the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from storeguard.customers.enums import AccountState, LinkStrength
from storeguard.customers.links import TYPE_LABELS, LinkPath
from storeguard.web.i18n import N_

ACCOUNT_STATE = {
    AccountState.enabled: (N_("Enabled"), "ok"),
    AccountState.disabled: (N_("Disabled"), "bad"),
}
LINK_STRENGTH = {
    LinkStrength.strong: (N_("Strong link"), "ok"),
    LinkStrength.weak: (N_("Weak link"), "warn"),
}
IDENTIFIER_TYPES = {str(k): N_(v) for k, v in TYPE_LABELS.items()}
# Mark texts of the labels above for the catalogs (they are written in customers.links).
_ = (N_("email"), N_("email domain"), N_("phone"), N_("shipping address"), N_("billing address"), N_("IP"))
_ = (N_("device"), N_("card"), N_("platform account"), N_("name and address"), N_("country"), N_("IP range"))
_ = (N_("customer"), N_("card number"), N_("IP and browser"))

WIDTH, HEIGHT = 640, 360
RINGS = (0, 125, 165)  # radius of the centre, the directly linked, and those linked through them
MAX_NODES = 24  # more would be unreadable; the list below the graph names them all


@dataclass(frozen=True)
class GraphNode:
    customer_id: int
    x: float
    y: float
    label: str
    centre: bool = False
    blocked: bool = False


@dataclass(frozen=True)
class GraphEdge:
    x1: float
    y1: float
    x2: float
    y2: float
    kinds: tuple[str, ...]  # the identifier types the two share (the first two), translated when drawn
    more: int  # how many more they share
    lx: float
    ly: float


@dataclass(frozen=True)
class LinkGraph:
    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[GraphEdge] = field(default_factory=list)
    hidden: int = 0
    width: int = WIDTH
    height: int = HEIGHT


def _shared_kinds(path: LinkPath, hop: int) -> tuple[tuple[str, ...], int]:
    shared = path.hops[hop].shared
    return tuple(str(s.type) for s in shared[:2]), max(len(shared) - 2, 0)


def link_graph(
    customer_id: int, paths: dict[int, LinkPath], names: dict[int, str], blocked: set[int]
) -> LinkGraph:
    """Lay out the customer and everyone linked to them, with the shared identifiers on the edges."""
    if not paths:
        return LinkGraph()
    parent: dict[int, int] = {}
    edge_words: dict[tuple[int, int], tuple[tuple[str, ...], int]] = {}
    for path in paths.values():
        previous = customer_id
        for i, hop in enumerate(path.hops):
            parent.setdefault(hop.to_customer_id, previous)
            edge_words.setdefault((previous, hop.to_customer_id), _shared_kinds(path, i))
            previous = hop.to_customer_id
    shown = sorted(parent)[:MAX_NODES]
    first = [c for c in shown if parent[c] == customer_id]
    second = [c for c in shown if parent[c] != customer_id]
    cx, cy = WIDTH / 2, HEIGHT / 2
    at: dict[int, tuple[float, float]] = {customer_id: (cx, cy)}
    for ring, members in ((1, first), (2, second)):
        for i, member in enumerate(members):
            angle = -math.pi / 2 + 2 * math.pi * (i + (0.5 if ring == 2 else 0)) / max(len(members), 1)
            rx, ry = RINGS[ring] * 1.9, RINGS[ring] * (0.95 if ring == 1 else 0.98)
            at[member] = (cx + rx * math.cos(angle), cy + ry * math.sin(angle))
    nodes = [
        GraphNode(
            customer_id, cx, cy, names.get(customer_id, f"#{customer_id}"), True, customer_id in blocked
        )
    ]
    nodes += [GraphNode(c, *at[c], names.get(c, f"#{c}"), False, c in blocked) for c in shown]
    edges = []
    for child in shown:
        source = parent[child]
        if source not in at:
            continue
        (x1, y1), (x2, y2) = at[source], at[child]
        kinds, more = edge_words.get((source, child), ((), 0))
        edges.append(GraphEdge(x1, y1, x2, y2, kinds, more, (x1 + x2) / 2, (y1 + y2) / 2 - 4))
    return LinkGraph(nodes, edges, hidden=max(len(parent) - len(shown), 0))
