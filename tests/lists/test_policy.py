"""The rules a block must meet (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from storeguard.core.enums import Role
from storeguard.lists.policy import (
    block_refusal,
    block_refusal_error,
    clean_evidence,
    dedupe_key,
    effective_status,
    merge_evidence,
)


def test_a_block_needs_a_reason_code_even_from_an_owner() -> None:
    refusal = block_refusal(
        reason_code=None, evidence={"notes": ["x"]}, actor_role=Role.owner, justification=None
    )
    assert refusal[0] == "reason_code_required"


def test_a_block_without_evidence_is_refused_for_an_agent_and_an_admin() -> None:
    for role in (Role.agent, Role.admin):
        refusal = block_refusal(
            reason_code="fraud",
            evidence={},
            actor_role=role,
            justification="I know this customer from the phone calls last week",
        )
        assert refusal[0] == "evidence_required"


def test_an_owner_may_block_without_evidence_only_with_a_written_justification() -> None:
    assert block_refusal(reason_code="fraud", evidence={}, actor_role=Role.owner, justification="short")[
        0
    ] == ("justification_required")
    assert (
        block_refusal(
            reason_code="fraud",
            evidence={},
            actor_role=Role.owner,
            justification="Threatened our driver at the door; police report pending",
        )
        is None
    )


def test_a_viewer_may_not_block() -> None:
    assert (
        block_refusal(
            reason_code="fraud", evidence={"order_ids": [1]}, actor_role=Role.viewer, justification=None
        )[0]
        == "role_too_weak"
    )


def test_evidence_is_cleaned_and_merged_without_repeats() -> None:
    evidence = clean_evidence({"order_ids": ["3", 3, 4], "notes": [" ", "called twice"], "unknown": [1]})
    assert evidence == {"order_ids": [3, 4], "notes": ["called twice"]}
    assert merge_evidence(evidence, {"case_ids": [9], "order_ids": [4, 5]}) == {
        "order_ids": [3, 4, 5],
        "notes": ["called twice"],
        "case_ids": [9],
    }


def test_dedupe_key_ignores_scope_key_order_but_not_action() -> None:
    a = dedupe_key("block", "email", "x@y.no", "block", {"kind": "tags", "tags": ["a"]})
    assert a == dedupe_key("block", "email", "x@y.no", "block", {"tags": ["a"], "kind": "tags"})
    assert a != dedupe_key("block", "email", "x@y.no", "review", {"kind": "tags", "tags": ["a"]})


def test_an_active_entry_past_its_expiry_is_expired() -> None:
    at = datetime(2025, 6, 1, tzinfo=UTC)
    assert effective_status("active", datetime(2025, 5, 1, tzinfo=UTC), at) == "expired"
    assert effective_status("active", None, at) == "active"
    assert effective_status("lifted", datetime(2025, 5, 1, tzinfo=UTC), at) == "lifted"


def test_a_block_refused_for_a_weak_role_is_403_wherever_it_is_raised_and_the_rest_422() -> None:
    weak = block_refusal(
        reason_code="fraud", evidence={"notes": ["x"]}, actor_role=Role.viewer, justification=None
    )
    unexplained = block_refusal(reason_code=None, evidence={}, actor_role=Role.agent, justification=None)

    assert [(e.status, e.code, e.field) for e in map(block_refusal_error, (weak, unexplained))] == [
        (403, "role_too_weak", None),
        (422, "reason_code_required", "reason_code"),
    ]
