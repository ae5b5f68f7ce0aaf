"""The names of one copy of the read model's tables.

The live copy has no suffix; a rebuild builds its new copy beside it under ``__next``, and
a verification its scratch copy under ``__verify``.
"""

from __future__ import annotations

from dataclasses import dataclass

NEXT_SUFFIX, OLD_SUFFIX, SCRATCH_SUFFIX = "__next", "__old", "__verify"
VERSIONS_TABLE = "read_model_versions"
"""Schema versions and switch counts of every read model, by name (no suffix: shared)."""
STATUS_TABLE = "projection_status"
"""What each read model's projector is doing, by name (shared)."""


@dataclass(frozen=True)
class Tables:
    suffix: str = ""

    @property
    def organizations(self) -> str:
        return "organization_lookup" + self.suffix

    @property
    def keys(self) -> str:
        return "organization_api_keys" + self.suffix

    @property
    def history(self) -> str:
        return "organization_history" + self.suffix

    @property
    def members(self) -> str:
        return "organization_members" + self.suffix

    @property
    def tracking(self) -> str:
        return f"{self.organizations}_tracking"

    @property
    def all(self) -> tuple[str, ...]:
        """Every table of this copy, its tracking table last."""
        return (self.organizations, self.keys, self.history, self.members, self.tracking)
