"""Create the broker's and the result backend's tables, and the `dagster` queue, before the
first workers start: `PYTHONPATH=deploy/celery python -m create_broker_tables` (idempotent).

Each worker creates them when it first connects, and two workers starting together race in
Postgres' catalog: one dies with `duplicate key value violates unique constraint
"pg_class_relname_nsp_index"` (kombu_queue's sequence). The tables are kombu_queue and
kombu_message (the SQLAlchemy transport), celery_taskmeta and celery_tasksetmeta (results).
"""

from dagster_celery.app import app


def create_broker_tables() -> None:
    with app.connection_for_write() as connection:
        channel = connection.default_channel  # opening a channel creates kombu's tables
        for queue in app.conf.task_queues:
            queue(channel).declare()
    app.backend.ResultSession().close()  # a first session creates the result tables


if __name__ == "__main__":
    create_broker_tables()
