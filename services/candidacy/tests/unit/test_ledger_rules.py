"""Expiry, status on a date and carry-over between versions, without a database."""

from __future__ import annotations

from datetime import date

from candidacy.ledger.rules import (
    BlockStatus,
    RetentionPolicy,
    add_years,
    carried_over,
    equivalences,
    expiry_date,
    status_on,
)


class TestExpiry:
    def test_a_diploma_block_is_kept_five_years(self) -> None:
        assert expiry_date(
            date(2024, 6, 30),
            policy=RetentionPolicy.FIXED_YEARS,
            years=5,
            certification_end_date=date(2026, 1, 1),
        ) == date(2029, 6, 30)

    def test_a_29_february_becomes_28_february(self) -> None:
        assert add_years(date(2024, 2, 29), 5) == date(2029, 2, 28)

    def test_a_titre_block_lives_as_long_as_its_millesime(self) -> None:
        assert expiry_date(
            date(2024, 6, 30),
            policy=RetentionPolicy.UNTIL_END_DATE,
            years=None,
            certification_end_date=date(2027, 5, 16),
        ) == date(2027, 5, 17)

    def test_without_end_date_or_policy_a_block_never_expires(self) -> None:
        for policy, end in (
            (RetentionPolicy.UNTIL_END_DATE, None),
            (RetentionPolicy.NONE, date(2027, 1, 1)),
        ):
            assert (
                expiry_date(
                    date(2024, 1, 1),
                    policy=policy,
                    years=None,
                    certification_end_date=end,
                )
                is None
            )


class TestStatus:
    def test_status_moves_from_valid_to_expiring_to_expired(self) -> None:
        expires = date(2027, 1, 1)
        assert status_on(expires, date(2026, 1, 1), 180) is BlockStatus.VALID
        assert status_on(expires, date(2026, 7, 6), 180) is BlockStatus.EXPIRING
        assert status_on(expires, date(2026, 12, 31), 180) is BlockStatus.EXPIRING
        assert status_on(expires, date(2027, 1, 1), 180) is BlockStatus.EXPIRED
        assert status_on(None, date(2099, 1, 1), 180) is BlockStatus.VALID


class TestCarryOver:
    def test_correspondences_grant_blocks_both_ways(self) -> None:
        rules = equivalences([("NEW", ["NEW1"], "OLD", ["OLD1"])], {})
        acquired = date(2025, 3, 10)
        assert carried_over({"OLD1": acquired}, rules) == {
            "NEW1": (acquired, frozenset({"OLD1"}))
        }
        assert carried_over({"NEW1": acquired}, rules) == {
            "OLD1": (acquired, frozenset({"NEW1"}))
        }

    def test_every_block_of_a_group_is_needed_and_the_last_dates_it(self) -> None:
        rules = equivalences([("NEW", ["NEW1"], "OLD", ["OLD1", "OLD2"])], {})
        assert carried_over({"OLD1": date(2024, 1, 1)}, rules) == {}
        granted = carried_over(
            {"OLD1": date(2024, 1, 1), "OLD2": date(2025, 1, 1)}, rules
        )
        assert granted["NEW1"][0] == date(2025, 1, 1)

    def test_an_empty_side_means_the_whole_certification(self) -> None:
        rules = equivalences([("NEW", ["NEW1"], "OLD", [])], {"OLD": ["OLD1", "OLD2"]})
        assert carried_over({"NEW1": date(2025, 1, 1)}, rules).keys() == {
            "OLD1",
            "OLD2",
        }
