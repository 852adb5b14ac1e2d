"""The README shows analysts five queries; a test that runs them as the analyst uses these."""

from readme_queries import MARKER, readme_queries

from platform_assets.settings import PROJECT_ROOT


def test_readme_has_five_analyst_queries():
    queries = readme_queries()
    assert len(queries) == 5
    assert (PROJECT_ROOT / "README.md").read_text().count(MARKER) == 5  # none without a block
    assert all(q.lower().startswith(("select", "with", "--")) for q in queries)
