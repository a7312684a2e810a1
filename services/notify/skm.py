"""The SKM survey and its IKM index, by the formula of PermenPANRB 14/2017.

A respondent rates nine elements (*unsur*) from 1 (not good) to 4 (very good). For a
unit of service, each element's mean (*nilai rata-rata per unsur*, NRR) is taken over
all respondents; the index is the equally weighted mean of the nine NRRs (weight 1/9
each) converted to a 25–100 scale by multiplying by 25::

    IKM = (Σ NRR_i × 1/9) × 25

and the quality (*mutu*) of the service follows from the index: A (very good) from
88.31, B (good) from 76.61, C (fair) from 65.00, D (poor) below.
"""

from dataclasses import dataclass

__all__ = ["ELEMENTS", "Ikm", "grade", "ikm"]

ELEMENTS: tuple[tuple[str, str, str], ...] = (
    ("u1", "Persyaratan", "Requirements"),
    ("u2", "Sistem, mekanisme, dan prosedur", "System, mechanism and procedure"),
    ("u3", "Waktu penyelesaian", "Completion time"),
    ("u4", "Biaya/tarif", "Cost or fee"),
    ("u5", "Produk spesifikasi jenis pelayanan", "What the service delivers"),
    ("u6", "Kompetensi pelaksana", "Competence of the staff"),
    ("u7", "Perilaku pelaksana", "Conduct of the staff"),
    ("u8", "Penanganan pengaduan, saran dan masukan", "Handling of complaints and suggestions"),
    ("u9", "Sarana dan prasarana", "Facilities"),
)

_GRADES = (
    (88.31, "A", "Sangat baik", "Very good"),
    (76.61, "B", "Baik", "Good"),
    (65.00, "C", "Kurang baik", "Fair"),
    (25.00, "D", "Tidak baik", "Poor"),
)


@dataclass(frozen=True)
class Ikm:
    respondents: int
    element_means: dict[str, float]
    index: float
    grade: str
    performance_id: str
    performance_en: str


def grade(index: float) -> tuple[str, str, str]:
    """The quality letter and its words for an index already rounded to 2 decimals."""
    for floor, letter, words_id, words_en in _GRADES:
        if index >= floor:
            return letter, words_id, words_en
    return _GRADES[-1][1:]


def ikm(respondents: int, sums: list[int]) -> Ikm | None:
    """The IKM from the per-element totals of ``respondents`` answers (None: no answer)."""
    if respondents <= 0:
        return None
    means = [total / respondents for total in sums]
    index = round(sum(mean * (1 / 9) for mean in means) * 25, 2)
    letter, words_id, words_en = grade(index)
    return Ikm(
        respondents=respondents,
        element_means={
            code: round(mean, 3) for (code, _, _), mean in zip(ELEMENTS, means, strict=True)
        },
        index=index,
        grade=letter,
        performance_id=words_id,
        performance_en=words_en,
    )
