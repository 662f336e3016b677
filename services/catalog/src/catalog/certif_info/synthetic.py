"""Synthetic Certif Info correspondence files, shaped like the open data, for demos and benchmarks."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from pathlib import Path

HEADER = "Code_Diplome;Libelle_Diplome;Code_RNCP;Code_Scolarité;Valideur"


def synthetic_lines(
    certifications: Sequence[tuple[str, str]], *, seed: int, noise: bool = True
) -> Iterable[str]:
    """Yields the lines of a correspondence for (RNCP code, title) pairs, header first.

    Every certification gets its own code. With ``noise``, like the real file: about one row in
    ten names no RNCP code (Certif Info also lists certifications outside the RNCP), one in a
    hundred an RNCP number the catalog does not hold, and RNCP numbers come bare.
    """
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    extra = (len(certifications) // 10 + len(certifications) // 100) if noise else 0
    codes = rng.sample(range(1_000, 999_999), len(certifications) + extra)
    yield HEADER
    for (rncp_code, title), code in zip(certifications, codes, strict=False):
        label = " ".join(title.replace(";", ",").split())
        yield f"{code};{label};{rncp_code.removeprefix('RNCP')};;"
    for index, code in enumerate(codes[len(certifications) :]):
        if index % 11 == 10:
            yield f"{code};Certification retirée du répertoire;{990_000 + index};;"
        else:
            yield f"{code};Habilitation ou certificat hors RNCP n° {index};;;Branche professionnelle"


def write_synthetic_csv(
    path: Path,
    certifications: Sequence[tuple[str, str]],
    *,
    seed: int = 20_240_701,
    noise: bool = True,
    encoding: str = "cp1252",
) -> int:
    """Writes a synthetic correspondence (Windows-1252 and CRLF by default, as published);
    returns the number of data rows."""
    rows = 0
    with path.open("wb") as out:
        for line in synthetic_lines(certifications, seed=seed, noise=noise):
            out.write((line + "\r\n").encode(encoding, errors="replace"))
            rows += 1
    return rows - 1
