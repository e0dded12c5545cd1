"""The codes the demo refuses with."""

from enum import StrEnum


class DemoError(StrEnum):
    demo_already_loaded = "demo_already_loaded"
