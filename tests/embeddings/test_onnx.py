"""The embedding model's ONNX Runtime backends: torch's vectors, from a one-time offline export."""

import os
import socket
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from embedding_data import TRICKY_TEXT, projected_model

from platform_assets.embeddings import model as model_module
from platform_assets.embeddings.model import EmbeddingModel, OnnxEncoder
from platform_assets.embeddings.scope import EMBEDDED_EVENT_TYPES
from platform_assets.simulator import simulate

# fp32 runs the same arithmetic as torch; int8 weights cost accuracy (about 0.98 at worst over
# 1,500 simulated notes), so its bound is looser.
MIN_COSINE = {"onnx": 0.99, "onnx-int8": 0.97}


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """Four dozen simulated notes of every embedded type, a long one and a tricky one."""
    events = simulate(80, 40, 3, date(2026, 11, 22), dirty_fraction=0.0)["service_events"]
    events = events.filter(pc.is_in(events["event_type"], pa.array(EMBEDDED_EVENT_TYPES)))
    notes = sorted(set(events["description"].drop_null().to_pylist()))[:46]
    return [*notes, TRICKY_TEXT, "overflowing bin " * 400]


@pytest.fixture(scope="module")
def torch_vectors(texts) -> np.ndarray:
    return EmbeddingModel().encode(texts).vectors


@pytest.fixture(scope="module")
def onnx_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("onnx")


@pytest.fixture
def no_network(monkeypatch):
    """HF_HUB_OFFLINE set, and any socket connection fails the test instead of leaving."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access during the ONNX export: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.mark.parametrize("backend", ["onnx", "onnx-int8"])
def test_onnx_vectors_match_torch(backend, texts, torch_vectors, onnx_dir):
    encoded = EmbeddingModel(backend=backend, onnx_dir=str(onnx_dir)).encode(texts)
    cosine = (encoded.vectors * torch_vectors).sum(axis=1)  # both unit length
    assert encoded.vectors.shape == torch_vectors.shape
    assert encoded.vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(encoded.vectors, axis=1), 1.0, atol=1e-5)
    assert cosine.min() >= MIN_COSINE[backend], (backend, float(cosine.min()))
    assert encoded.truncated == 1  # the long note, cut to max_chars as torch's path cuts it


def test_export_is_offline_and_reused(tmp_path, texts, torch_vectors, no_network, monkeypatch):
    resource = EmbeddingModel(backend="onnx-int8", onnx_dir=str(tmp_path))
    export = resource.onnx_path()
    assert not export.exists()
    first = resource.encode(texts[:8]).vectors
    assert export.is_file() and (export.parent / "onnx.onnx").is_file()
    assert export.parent.parent == tmp_path  # the cache, not the package directory
    stamp = {p.name: p.stat().st_mtime_ns for p in export.parent.iterdir()}
    assert sorted(stamp) == ["onnx-int8.onnx", "onnx.onnx"]  # no temporary file left

    # A new process's load (the in-process cache cleared) must find the export, not redo it.
    model_module._load_onnx_once.cache_clear()

    def no_second_export(*args):
        raise AssertionError("the ONNX model was exported again")

    monkeypatch.setattr(model_module, "_export_fp32", no_second_export)
    monkeypatch.setattr(model_module, "_quantize_int8", no_second_export)
    again = EmbeddingModel(backend="onnx-int8", onnx_dir=str(tmp_path)).encode(texts[:8]).vectors
    assert np.array_equal(first, again)
    assert {p.name: p.stat().st_mtime_ns for p in export.parent.iterdir()} == stamp


def test_resource_selects_backend_and_names_it_in_the_version(onnx_dir):
    torch_model = EmbeddingModel()
    assert torch_model.backend == "torch"
    assert "backend" not in torch_model.model_version()  # torch's stored vectors stay current
    assert not isinstance(torch_model._loaded(), OnnxEncoder)

    versions = {torch_model.model_version()}
    for backend in ("onnx", "onnx-int8"):
        resource = EmbeddingModel(backend=backend, onnx_dir=str(onnx_dir))
        assert isinstance(resource._loaded(), OnnxEncoder)
        assert resource.model_version().endswith(f";backend={backend}")
        assert resource.dimensions() == 384
        versions.add(resource.model_version())
    assert len(versions) == 3  # never mixed silently with torch's vectors, nor with each other

    with pytest.raises(ValueError, match="CPU only"):
        EmbeddingModel(backend="onnx", device="cuda", onnx_dir=str(onnx_dir)).encode(["x"])
    with pytest.raises(ValueError):
        EmbeddingModel(backend="tensorrt")


def test_default_cache_is_under_platform_home(monkeypatch, tmp_path):
    monkeypatch.setenv("PLATFORM_HOME", str(tmp_path))
    path = EmbeddingModel(backend="onnx").onnx_path()
    assert path.is_relative_to(tmp_path / "onnx")
    assert os.path.basename(path) == "onnx.onnx"


def test_a_model_the_onnx_path_cannot_run_is_refused(tmp_path):
    """A Dense layer after pooling would be silently dropped: refused before any export."""
    local = projected_model(tmp_path / "model", 128)
    resource = EmbeddingModel(model=str(local), backend="onnx", onnx_dir=str(tmp_path / "onnx"))
    with pytest.raises(ValueError, match="Dense"):
        resource.encode(["a note"])
    assert not (tmp_path / "onnx").exists()
