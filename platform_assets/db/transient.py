"""Which database failures a step retries, and the retry policy the Postgres-heavy assets use.

A dropped connection, a serialization failure, a deadlock or an administrator's shutdown says
nothing about the data: running the step again (every write is one transaction, replaced whole)
ends where an undisturbed run ends. Anything else is a real failure (a bad row, a failed check,
a blocked gate, a bug), and retrying it would only delay the alert, so it is raised as a
`dg.Failure` that the retry policy does not apply to.
"""

import functools
import inspect

import dagster as dg
import psycopg

from platform_assets.db.connect import ConnectFailed

# SQLSTATEs of failures that a second attempt can clear: serialization_failure, deadlock_detected,
# admin_shutdown, crash_shutdown, cannot_connect_now, and the connection_exception class.
TRANSIENT_SQLSTATES = frozenset({
    "40001", "40P01", "57P01", "57P02", "57P03",
    "08000", "08001", "08003", "08004", "08006",
})

TRANSIENT_RETRY = dg.RetryPolicy(
    max_retries=3, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)


def is_transient(error: BaseException) -> bool:
    """True when `error`, or an error it was raised from, is a transient database failure. A
    psycopg OperationalError without a SQLSTATE is a connection the server or network dropped;
    `ConnectFailed`, a server that cannot be reached (yet)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectFailed):  # the server is down or restarting
            return True
        if isinstance(current, psycopg.Error):
            state = current.sqlstate
            if state in TRANSIENT_SQLSTATES:
                return True
            if state is None and isinstance(current, psycopg.OperationalError):
                return True
        current = current.__cause__ or current.__context__
    return False


def retry_transient_only(compute):
    """Let transient database failures reach the step's retry policy; make every other failure
    final (`allow_retries=False`), and the last transient one too, so its own message (not
    "Exceeded max_retries") is what the run reports. Works for generator assets too."""

    def final(error: Exception, args: tuple, kwargs: dict) -> Exception | None:
        """The exception to raise instead of `error`, or None to let it reach the policy."""
        if isinstance(error, dg.Failure):  # raised on purpose (skew, a blocked gate): final
            if not is_transient(error):
                error.allow_retries = False
            return None
        attempt = _retry_number(args, kwargs)
        if is_transient(error) and attempt < TRANSIENT_RETRY.max_retries:
            return None
        tried = f" (attempt {attempt + 1}, the last)" if is_transient(error) else ""
        return dg.Failure(description=f"{type(error).__name__}: {error}{tried}",
                          allow_retries=False)

    if inspect.isgeneratorfunction(compute):
        @functools.wraps(compute)
        def generator(*args, **kwargs):
            try:
                yield from compute(*args, **kwargs)
            except Exception as error:
                replacement = final(error, args, kwargs)
                if replacement is None:
                    raise
                raise replacement from error

        return generator

    @functools.wraps(compute)
    def wrapper(*args, **kwargs):
        try:
            return compute(*args, **kwargs)
        except Exception as error:
            replacement = final(error, args, kwargs)
            if replacement is None:
                raise
            raise replacement from error

    return wrapper


def _retry_number(args: tuple, kwargs: dict) -> int:
    """The step's retry number (0 on the first attempt), from its context argument."""
    context = kwargs.get("context", args[0] if args else None)
    return getattr(context, "retry_number", 0) or 0
