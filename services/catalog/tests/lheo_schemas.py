"""The XSDs every LHEO export test checks documents against.

The project's own subset (``catalog/lheo/lheo-subset.xsd``) always; the official LHEO 2.3 XSD
too when ``LHEO_OFFICIAL_XSD`` names a copy of it (the project may not ship it).
"""

from __future__ import annotations

import functools
import os
from importlib import resources
from pathlib import Path
from typing import Any

from lxml import etree

NS = {"l": "http://lheo.gouv.fr/2.3"}
OFFICIAL_XSD_VARIABLE = "LHEO_OFFICIAL_XSD"


@functools.cache
def subset_schema() -> Any:
    """The project's LHEO subset schema."""
    source = resources.files("catalog.lheo").joinpath("lheo-subset.xsd").read_bytes()
    return etree.XMLSchema(etree.fromstring(source))


def official_xsd_path() -> Path | None:
    """The official XSD named by LHEO_OFFICIAL_XSD, if any."""
    named = os.environ.get(OFFICIAL_XSD_VARIABLE)
    return Path(named) if named else None


@functools.cache
def _official_schema(path: Path) -> Any:
    return etree.XMLSchema(etree.parse(str(path)))


def validated(document: bytes) -> Any:
    """Parses an LHEO document and checks it against the subset (and the official XSD when
    it is available); returns the parsed tree."""
    tree = etree.fromstring(document, etree.XMLParser(resolve_entities=False))
    subset_schema().assertValid(tree)
    if (path := official_xsd_path()) is not None:
        _official_schema(path).assertValid(tree)
    return tree
