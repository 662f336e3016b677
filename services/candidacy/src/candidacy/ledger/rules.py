"""Ledger rules that need no database: expiry, status as of a date, carry-over between versions."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class RetentionPolicy(StrEnum):
    """How long an acquired block stays valid (durée de conservation des blocs acquis)."""

    FIXED_YEARS = "FIXED_YEARS"
    UNTIL_END_DATE = "UNTIL_END_DATE"
    NONE = "NONE"


class BlockStatus(StrEnum):
    """An acquired block's standing on a date."""

    VALID = "VALID"
    EXPIRING = "EXPIRING"
    EXPIRED = "EXPIRED"


class Source(StrEnum):
    """How the block was acquired."""

    JURY_REPORT = "JURY_REPORT"
    EQUIVALENCE = "EQUIVALENCE"


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def expiry_date(
    acquired_on: date,
    *,
    policy: RetentionPolicy,
    years: int | None,
    certification_end_date: date | None,
) -> date | None:
    """The first day the block is no longer held, or None when it never expires.

    FIXED_YEARS keeps it ``years`` years (diplomas: five); UNTIL_END_DATE keeps it while the
    certification (for a TP, its millésime) is registered, i.e. through its end date.
    """
    if policy is RetentionPolicy.FIXED_YEARS:
        return add_years(acquired_on, years or 5)
    if policy is RetentionPolicy.UNTIL_END_DATE:
        if certification_end_date is None:
            return None
        return certification_end_date + timedelta(days=1)
    return None


def status_on(expires_on: date | None, as_of: date, horizon_days: int) -> BlockStatus:
    """Whether a block is valid, expiring within the horizon, or expired on a date."""
    if expires_on is None:
        return BlockStatus.VALID
    if expires_on <= as_of:
        return BlockStatus.EXPIRED
    if expires_on <= as_of + timedelta(days=horizon_days):
        return BlockStatus.EXPIRING
    return BlockStatus.VALID


@dataclass(frozen=True, slots=True)
class Equivalence:
    """Holding every block of ``held`` grants every block of ``granted`` (a correspondence)."""

    held: frozenset[str]
    granted: frozenset[str]


def equivalences(
    correspondences: Iterable[tuple[str, Collection[str], str, Collection[str]]],
    blocks_of: Mapping[str, Collection[str]],
) -> list[Equivalence]:
    """Turns the catalog's correspondences into equivalences, both ways.

    Each correspondence is (declaring code, its blocks, other code, the other's blocks); an
    empty list of blocks means the whole certification, whose blocks ``blocks_of`` gives.
    """
    found: list[Equivalence] = []
    for (
        source_code,
        source_blocks,
        destination_code,
        destination_blocks,
    ) in correspondences:
        left = frozenset(source_blocks or blocks_of.get(source_code, ()))
        right = frozenset(destination_blocks or blocks_of.get(destination_code, ()))
        if left and right:
            found.append(Equivalence(held=left, granted=right))
            found.append(Equivalence(held=right, granted=left))
    return found


def carried_over(
    acquired: Mapping[str, date], rules: Iterable[Equivalence]
) -> dict[str, tuple[date, frozenset[str]]]:
    """The blocks granted through equivalences by blocks acquired elsewhere.

    ``acquired`` maps each block code that may grant to its acquisition date. A group grants
    once all of it is acquired, as of the last acquisition in it; when several groups grant a
    block, the latest acquisition wins (it keeps the block longest). The caller computes the
    granted block's expiry with the granting certification's policy.
    """
    granted: dict[str, tuple[date, frozenset[str]]] = {}
    for rule in rules:
        if not rule.held or not rule.held <= acquired.keys():
            continue
        acquired_on = max(acquired[code] for code in rule.held)
        for code in rule.granted:
            previous = granted.get(code)
            if previous is None or acquired_on > previous[0]:
                granted[code] = (acquired_on, rule.held)
    return granted
