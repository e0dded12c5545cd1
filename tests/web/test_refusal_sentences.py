"""A refusal code names one refusal: its sentence is the same on every page."""

from __future__ import annotations

import pytest

from storeguard.web.refusals import register_refusals


def test_a_refusal_code_cannot_be_given_two_sentences():
    register_refusals({"test_only_code": "One sentence."})
    register_refusals({"test_only_code": "One sentence."})  # the same again is harmless

    with pytest.raises(ValueError, match="test_only_code"):
        register_refusals({"test_only_code": "Another sentence."})
