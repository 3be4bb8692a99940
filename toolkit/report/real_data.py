"""Real datasets bundled with klmle (sources in ``toolkit/report/data/README.md``)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class RealDataset:
    """A small public-domain dataset and the families the demo fits to it."""

    name: str
    source: str
    file: str
    column: str
    families: tuple[str, ...]

    def load(self) -> np.ndarray:
        """The column as floats."""
        with resources.files("toolkit.report").joinpath("data", self.file).open() as handle:
            return pd.read_csv(handle)[self.column].to_numpy(dtype=float)


_DATASETS = (
    RealDataset(
        name="horse kicks (Bortkiewicz 1898)",
        source=(
            "deaths by horse kick per corps-year, 10 Prussian army corps, 1875–1894; "
            "L. von Bortkiewicz, Das Gesetz der kleinen Zahlen (1898); public domain"
        ),
        file="horse_kicks.csv",
        column="deaths",
        # The Poisson is the classical model; the categorical on 0..4 is p̂ itself
        # (KL(p̂‖q) = 0), so the AIC ranking shows what its 3 extra parameters buy.
        families=("poisson", "categorical"),
    ),
)


def real_datasets() -> tuple[RealDataset, ...]:
    """The bundled real datasets."""
    return _DATASETS
