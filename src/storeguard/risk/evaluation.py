"""Measure the detectors against a ground truth: precision and recall per abuse type, and overall.

Pure: takes the assessments and the truth file's customers, returns figures. The demo store writes
each customer's true type. An evader behaves as the account they came back from: a finding of that
account's type on the evader is right (not a false positive), but recall is counted on the type
the truth gives (the evasion finding is what has to catch them).

An abuser whose abuse has not played out yet (the truth's ``acts`` is 0: a chargeback abuser with
no chargeback so far) leaves nothing to find: such customers are counted apart, as latent, and out
of recall. So does one whose abuse played out no more than an honest customer's does now and then
(the truth's ``knowable`` false: a late claimer with a single claim, which good customers make too;
a wardrober with one late return or a bracketer with one order of two sizes, which the demo's honest
customers do once too; a serial returner with fewer than three orders sent back, or with half or
fewer of their settled orders back, which honest customers leave more often). Honest customers caught in a trap (a household, a campus network, a colliding card, a
common name, many honest returns) are counted per trap; and every cluster is checked for joining
customers the truth says are unrelated (only an evader and the account they came back from are).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from storeguard.risk.enums import WATCH_OR_WORSE, FindingType
from storeguard.risk.policy import DEFAULT, Assessment

# The ground truth's customer types and the finding that should name each.
TYPE_OF_FINDING: dict[FindingType, str] = {
    FindingType.wardrobing: "wardrober",
    FindingType.bracketing: "bracketer",
    FindingType.serial_returning: "serial_returner",
    FindingType.low_value_refunds: "low_value_refund_abuser",
    FindingType.not_received_claims: "item_not_received_claimer",
    FindingType.chargeback_abuse: "chargeback_abuser",
    FindingType.late_claims: "late_claimer",
    FindingType.evasion: "evader",
}
# Bracketers and wardrobers of the demo send most orders back, bracketed or worn or not: a
# serial-returning finding on one is right about them (precision), though only the finding of
# their own type catches them (recall).
ALSO_TRUE: dict[str, tuple[str, ...]] = {
    "bracketer": ("serial_returner",),
    "wardrober": ("serial_returner",),
}
HONEST = ("good", "vip")
# Abuse that leaves no trace in orders, refunds or disputes yet (abusive language reaches support
# cases, which storeguard does not hold yet): reported, kept out of the targets.
NOT_DETECTABLE = ("abusive",)
TARGETS = {"precision": 0.9, "recall": 0.9, "honest_watch_or_worse": 0.01}


@dataclass(frozen=True)
class Score:
    """Precision and recall of one question over the customers who have a truth."""

    support: int  # customers whose truth is the type
    flagged: int
    right: int  # flagged customers who are of the type (an evader also as their old account's)
    caught: int  # customers whose truth is the type, flagged

    @property
    def precision(self) -> float | None:
        return self.right / self.flagged if self.flagged else None

    @property
    def recall(self) -> float | None:
        return self.caught / self.support if self.support else None

    def as_dict(self) -> dict[str, Any]:
        """Return the figures with precision and recall rounded to three places."""
        rounded = {
            k: (round(v, 3) if v is not None else None)
            for k, v in (("precision", self.precision), ("recall", self.recall))
        }
        return {**asdict(self), **rounded}


@dataclass(frozen=True)
class ClusterCheck:
    """Clusters that join customers the truth says are unrelated."""

    clusters: int  # clusters of two or more customers
    joining_unrelated: int
    examples: tuple[tuple[int, ...], ...] = ()  # the customers of a few of them

    def as_dict(self) -> dict[str, Any]:
        return {
            "clusters": self.clusters,
            "joining_unrelated": self.joining_unrelated,
            "examples": [list(e) for e in self.examples],
        }


@dataclass(frozen=True)
class Evaluation:
    per_type: dict[str, Score]
    overall: Score
    not_detectable: dict[str, int]  # type -> support
    honest_watch_or_worse: dict[str, tuple[int, int]]  # good, vip, both -> (in watch or worse, of)
    latent: dict[str, int] = field(default_factory=dict)  # type -> abusers with nothing played out yet
    traps: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # trap -> (flagged, watch+, of)
    clusters: ClusterCheck | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the figures as plain data for JSON."""
        return {
            "per_type": {k: v.as_dict() for k, v in self.per_type.items()},
            "overall_abusive_vs_not": self.overall.as_dict(),
            "not_detectable_yet": self.not_detectable,
            "latent_not_in_recall": self.latent,
            "honest_in_watch_or_worse": {
                k: {"count": n, "of": total, "share": round(n / total, 4) if total else None}
                for k, (n, total) in self.honest_watch_or_worse.items()
            },
            "honest_traps": {
                k: {"flagged": f, "watch_or_worse": w, "of": total} for k, (f, w, total) in self.traps.items()
            },
            "clusters": self.clusters.as_dict() if self.clusters else None,
            "targets": TARGETS,
        }


def true_types(entry: Mapping[str, Any]) -> set[str]:
    """Return what a truth entry's customer really is: an evader also is the type they came back as,
    a bracketer or wardrober also a serial returner."""
    types = {entry["type"]}
    if entry.get("original_type"):
        types.add(entry["original_type"])
    return types | {also for t in types for also in ALSO_TRUE.get(t, ())}


def latent(entry: Mapping[str, Any]) -> bool:
    """Say whether an abuser's abuse has not played out in the data yet, or not enough to be told
    apart from what honest customers do too (the truth's ``knowable`` is false)."""
    return entry.get("acts") == 0 or entry.get("knowable") is False


def check_clusters(
    cluster_of: Mapping[int, int | None], truth_customers: Iterable[Mapping[str, Any]], examples: int = 5
) -> ClusterCheck:
    """Count the clusters that join customers the truth says are unrelated.

    Two customers are related only when one is an evader and the other the account they came back
    from; housemates, fellow students and strangers with a colliding card are not.
    """
    person = {}
    for entry in truth_customers:
        person[entry["id"]] = entry.get("original_customer_id") or entry["id"]
    members: dict[int, list[int]] = {}
    for cid, cluster in cluster_of.items():
        if cluster is not None:
            members.setdefault(cluster, []).append(cid)
    groups = [sorted(m) for m in members.values() if len(m) > 1]
    bad = [m for m in groups if len({person.get(c, c) for c in m}) > 1]
    bad.sort()
    return ClusterCheck(len(groups), len(bad), tuple(tuple(m) for m in bad[:examples]))


def evaluate(
    assessments: Mapping[int, Assessment],
    truth_customers: Iterable[Mapping[str, Any]],
    thresholds: Mapping[str, Any] = DEFAULT,
    cluster_of: Mapping[int, int | None] | None = None,
) -> Evaluation:
    """Compare each customer's reported findings with their true type(s); with ``cluster_of``
    (customer -> cluster), check the clusters too."""
    truth_customers = list(truth_customers)
    counts = {name: [0, 0, 0, 0] for name in TYPE_OF_FINDING.values()}
    waiting = dict.fromkeys(TYPE_OF_FINDING.values(), 0)
    traps: dict[str, list[int]] = {}
    overall = [0, 0, 0, 0]
    hidden = dict.fromkeys(NOT_DETECTABLE, 0)
    honest = {"good": [0, 0], "vip": [0, 0]}
    for entry in truth_customers:
        actual = true_types(entry)
        found = assessments.get(entry["id"])
        named = {TYPE_OF_FINDING[f] for f in found.reported(thresholds)} if found else set()
        quiet = latent(entry)
        if quiet and entry["type"] in waiting:
            waiting[entry["type"]] += 1
        for name, c in counts.items():
            c[0] += name == entry["type"] and not quiet
            c[1] += name in named
            c[2] += name in actual and name in named
            c[3] += name == entry["type"] and name in named and not quiet
        if entry["type"] in hidden:
            hidden[entry["type"]] += 1
            continue  # neither abusive nor honest as far as the data can tell
        abusive = entry["type"] not in HONEST
        watched = bool(found and found.segment in WATCH_OR_WORSE)
        overall[0] += abusive and not quiet
        overall[1] += bool(named)
        overall[2] += abusive and bool(named)
        overall[3] += abusive and bool(named) and not quiet
        if entry["type"] in honest:
            honest[entry["type"]][1] += 1
            honest[entry["type"]][0] += watched
            for trap in entry.get("traps", ()):
                t = traps.setdefault(trap, [0, 0, 0])
                t[0] += bool(named)
                t[1] += watched
                t[2] += 1
    both = (honest["good"][0] + honest["vip"][0], honest["good"][1] + honest["vip"][1])
    return Evaluation(
        per_type={name: Score(*c) for name, c in counts.items()},
        overall=Score(*overall),
        not_detectable=hidden,
        honest_watch_or_worse={
            "good": tuple(honest["good"]),
            "vip": tuple(honest["vip"]),
            "good_and_vip": both,
        },
        latent=waiting,
        traps={k: tuple(v) for k, v in sorted(traps.items())},  # type: ignore[misc]
        clusters=check_clusters(cluster_of, truth_customers) if cluster_of is not None else None,
    )
