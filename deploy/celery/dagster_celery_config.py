"""Settings of the platform's Celery workers (`celery -A dagster_celery.app worker`).

dagster_celery's app imports a module of this name when it is on PYTHONPATH (its documented hook
for worker settings), so the workers run with `PYTHONPATH=deploy/celery`. The broker and result
backend come from the environment, like every other secret of the platform: `dagster-celery
worker start -y` would instead write the URLs, password included, into a file under DAGSTER_HOME.
The run worker that submits the steps reads the same variables (run_config.yaml).
"""

import os

broker_url = os.environ["CELERY_BROKER_URL"]
result_backend = os.environ["CELERY_RESULT_BACKEND"]
# A step is seconds to minutes of SQL: a worker takes the next one only when it is free (one
# message at a time, acknowledged when the step ends), so an idle worker never waits while a
# busy one holds a step it reserved.
worker_prefetch_multiplier = 1
task_acks_late = True
broker_connection_retry_on_startup = True
