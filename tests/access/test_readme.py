"""The README shows analysts six queries; a test that runs them as the analyst uses these."""

from readme_queries import MARKER, readme_queries

from platform_assets.settings import PROJECT_ROOT


def test_readme_has_six_analyst_queries():
    queries = readme_queries()
    assert len(queries) == 6
    assert (PROJECT_ROOT / "README.md").read_text().count(MARKER) == 6  # none without a block
    assert all(q.lower().startswith(("select", "with", "--")) for q in queries)
