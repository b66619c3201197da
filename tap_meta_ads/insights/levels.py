"""The insights levels, account to ad: the one table the engine and the streams read."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Level:
    """One insights level: its row columns and where it sits in the object hierarchy."""

    name: str
    id_field: str
    name_field: str
    parent: str | None
    child: str | None
    #: The Graph edge that lists the level's objects under their parent (``/<parent>/<edge>``).
    edge: str | None
    #: The object in Graph filters (``<entity>.id``, ``<entity>.effective_status``).
    entity: str | None

    def filter_field(self, attribute: str) -> str:
        """``<entity>.<attribute>``, the field a Graph filter on this level's objects names."""
        if self.entity is None:
            msg = f"the {self.name} level has no filter entity"
            raise ValueError(msg)
        return f"{self.entity}.{attribute}"


LEVELS: tuple[Level, ...] = (
    Level("account", "account_id", "account_name", None, "campaign", None, None),
    Level("campaign", "campaign_id", "campaign_name", "account", "adset", "campaigns", "campaign"),
    Level("adset", "adset_id", "adset_name", "campaign", "ad", "adsets", "adset"),
    Level("ad", "ad_id", "ad_name", "adset", None, "ads", "ad"),
)
LEVEL_NAMES = tuple(level.name for level in LEVELS)
_BY_NAME = {level.name: level for level in LEVELS}


def level_of(name: str) -> Level:
    """The level called ``name``; ``ValueError`` for any other name."""
    try:
        return _BY_NAME[name]
    except KeyError:
        msg = f"unknown insights level {name!r}"
        raise ValueError(msg) from None


def depth(name: str) -> int:
    """0 for account, 3 for ad."""
    return LEVEL_NAMES.index(level_of(name).name)


def level_columns(name: str) -> tuple[str, ...]:
    """Id and name columns of ``name`` and every level above it, top first."""
    return tuple(
        column
        for level in LEVELS[: depth(name) + 1]
        for column in (level.id_field, level.name_field)
    )
