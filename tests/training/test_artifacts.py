"""The artifact store: paths under its root, published once, never silently replaced."""

import pytest

from platform_assets.resources.artifacts import ArtifactExists, ArtifactStore


def test_path_creates_parents_under_the_root(tmp_path):
    store = ArtifactStore(root=str(tmp_path))
    path = store.path("datasets", "churn_risk", "v1.parquet")
    assert path == tmp_path / "datasets" / "churn_risk" / "v1.parquet"
    assert path.parent.is_dir() and not path.exists()


def test_default_root_is_resolved_from_platform_home_at_call_time(tmp_path, monkeypatch):
    store = ArtifactStore()
    monkeypatch.setenv("PLATFORM_HOME", str(tmp_path))
    assert store.path("models", "m.bin") == tmp_path / "artifacts" / "models" / "m.bin"


@pytest.mark.parametrize("parts", [("..", "escape.txt"), ("/etc", "passwd"), ()])
def test_paths_outside_the_root_are_refused(tmp_path, parts):
    with pytest.raises(ValueError):
        ArtifactStore(root=str(tmp_path / "root")).path(*parts)


def test_a_written_file_is_kept_unless_the_same_bytes_come_again(tmp_path):
    store = ArtifactStore(root=str(tmp_path))
    path = store.write_bytes(b"one", "a", "file.bin")
    assert store.write_bytes(b"one", "a", "file.bin") == path  # identical: accepted, unchanged
    with pytest.raises(ArtifactExists):
        store.write_bytes(b"two", "a", "file.bin")
    assert path.read_bytes() == b"one"
    assert sorted(p.name for p in path.parent.iterdir()) == ["file.bin"]  # no temp files left


def test_a_failed_write_publishes_nothing(tmp_path):
    store = ArtifactStore(root=str(tmp_path))
    with pytest.raises(RuntimeError), store.new_file("b", "half.bin") as temp:
        temp.write_bytes(b"partial")
        raise RuntimeError("crash while writing")
    assert list((tmp_path / "b").iterdir()) == []
