"""`platform-assets search "text"`: semantic search over service-event notes from a shell."""

import argparse
import sys
import uuid
from datetime import date

import psycopg

from platform_assets.db import server
from platform_assets.db.connect import CLI_APPLICATION, connect
from platform_assets.embeddings.model import DimensionMismatch, EmbeddingModel
from platform_assets.embeddings.scope import EVENT_TYPES
from platform_assets.embeddings.search import DEFAULT_EF_SEARCH, format_hits, search


def add_search_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The arguments of `platform-assets search` (shared by the CLI and `main_search`)."""
    parser.add_argument("text", help="what to look for, in plain words")
    parser.add_argument("--k", type=int, default=10, help="number of events (default 10)")
    parser.add_argument("--org", type=uuid.UUID, help="only this organization's events")
    parser.add_argument("--event-type", choices=EVENT_TYPES, help="only events of this type")
    parser.add_argument(
        "--since", type=date.fromisoformat, help="only events on or after this date (YYYY-MM-DD)"
    )
    parser.add_argument(
        "--ef-search", type=int, default=DEFAULT_EF_SEARCH,
        help=f"HNSW candidate list: higher is more exact, slower (default {DEFAULT_EF_SEARCH})",
    )
    return parser


def cmd_search(args: argparse.Namespace) -> None:
    """Run a search from parsed arguments and print the hits (errors exit 1, no traceback).

    A failure to connect propagates: `platform-assets` prints it with its hint.
    """
    try:
        with connect(server.database_url(), CLI_APPLICATION) as conn:
            hits = search(
                conn, EmbeddingModel(), args.text, k=args.k, org=args.org,
                event_type=args.event_type, since=args.since, ef_search=args.ef_search,
            )
    except (DimensionMismatch, ValueError, psycopg.Error) as error:
        print(f"error: {server.redact(str(error)).strip()}", file=sys.stderr)
        sys.exit(1)
    print(format_hits(hits))


def main_search(argv: list[str] | None = None) -> None:
    """`python -m platform_assets.embeddings.cli "text" --k 10 ...`."""
    parser = argparse.ArgumentParser(prog="platform-assets search", description=__doc__)
    try:
        cmd_search(add_search_arguments(parser).parse_args(argv))
    except ConnectionError as error:  # already redacted
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main_search()
