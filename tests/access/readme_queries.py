"""The example queries of the README's "For analysts" section, for tests that run them."""

import re

from platform_assets.settings import PROJECT_ROOT

MARKER = "<!-- analyst-query -->"
_QUERY = re.compile(re.escape(MARKER) + r"\s*\n```sql\n(.*?)\n```", re.DOTALL)


def readme_queries() -> list[str]:
    """Each ```sql block placed directly under a `<!-- analyst-query -->` line, in order."""
    return [q.strip() for q in _QUERY.findall((PROJECT_ROOT / "README.md").read_text())]
