"""The IKM index by the formula of PermenPANRB 14/2017, checked against worked examples."""

import pytest

from services.notify.skm import ELEMENTS, grade, ikm

# Four citizens rate one service on the nine elements (u1 … u9).
ANSWERS = [
    [4, 4, 4, 3, 3, 4, 4, 3, 3],
    [3, 3, 4, 4, 3, 3, 4, 3, 3],
    [4, 3, 3, 4, 3, 3, 4, 2, 3],
    [3, 2, 3, 4, 3, 2, 4, 2, 3],
]


def totals(answers: list[list[int]]) -> list[int]:
    return [sum(column) for column in zip(*answers, strict=True)]


def test_the_index_is_the_mean_of_the_nine_element_means_times_twenty_five():
    # Element totals 14 12 14 15 12 12 16 10 12 over 4 respondents give the means
    # (NRR) 3.5 3.0 3.5 3.75 3.0 3.0 4.0 2.5 3.0. Weighted by 1/9 each they add up to
    # 29.25 / 9 = 3.25, and 3.25 × 25 = 81.25: quality B, "Baik" (76.61 – 88.30).
    result = ikm(len(ANSWERS), totals(ANSWERS))

    assert result is not None
    assert result.respondents == 4
    assert list(result.element_means.values()) == [3.5, 3.0, 3.5, 3.75, 3.0, 3.0, 4.0, 2.5, 3.0]
    assert list(result.element_means) == [code for code, _, _ in ELEMENTS]
    assert result.index == 81.25
    assert (result.grade, result.performance_id, result.performance_en) == ("B", "Baik", "Good")


def test_the_index_runs_from_25_when_every_element_is_poor_to_100_when_all_are_very_good():
    worst = ikm(3, [3] * 9)
    best = ikm(2, [8] * 9)

    assert worst is not None
    assert (worst.index, worst.grade) == (25.0, "D")
    assert best is not None
    assert (best.index, best.grade) == (100.0, "A")


def test_an_index_is_rounded_to_two_decimals():
    # Means 3, 3, 3, 3, 3, 3, 3, 3 and 10/3: (8 × 3 + 3.333…) / 9 × 25 = 75.925… → 75.93.
    result = ikm(3, [9] * 8 + [10])

    assert result is not None
    assert result.index == 75.93
    assert result.element_means["u9"] == 3.333
    assert result.grade == "C"


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (100.0, ("A", "Sangat baik", "Very good")),
        (88.31, ("A", "Sangat baik", "Very good")),
        (88.30, ("B", "Baik", "Good")),
        (76.61, ("B", "Baik", "Good")),
        (76.60, ("C", "Kurang baik", "Fair")),
        (65.00, ("C", "Kurang baik", "Fair")),
        (64.99, ("D", "Tidak baik", "Poor")),
        (25.00, ("D", "Tidak baik", "Poor")),
    ],
)
def test_the_quality_category_follows_the_regulations_intervals(index, expected):
    assert grade(index) == expected


def test_a_unit_nobody_has_rated_yet_has_no_index():
    assert ikm(0, [0] * 9) is None
