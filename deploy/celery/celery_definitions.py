"""The platform's code location with its asset jobs on Celery: each step of a run becomes a task
on the broker, executed by whichever worker (`celery -A dagster_celery.app worker`) takes it.

Load it with `dagster dev -w deploy/celery/workspace.yaml` (or `-m celery_definitions -d
deploy/celery`); the workers import it too (`-I celery_definitions`), so a step's first task
does not pay for loading the definitions. Everything but the executor is the platform's own
code location (`platform_assets.definitions:defs`): the same assets, resources, schedules and
sensors, and the same job names, so the schedules launch these Celery jobs.
"""

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition
from dagster_celery import celery_executor

from platform_assets import definitions as platform

BROKER_ENV = "CELERY_BROKER_URL"
BACKEND_ENV = "CELERY_RESULT_BACKEND"
# Configured in the executor, not in the jobs' run config: a schedule's run over a partition range
# gets no job default config, and the URLs (password included) are read where the run's config
# is resolved (code server, run worker), never stored in the run. Workers read the same
# variables (dagster_celery_config.py).
CELERY = celery_executor.configured(
    {"broker": {"env": BROKER_ENV}, "backend": {"env": BACKEND_ENV}}, name="celery"
)


def on_celery(job):
    """`job` with the Celery executor; op jobs (demo_advance: in-process) are kept as they are."""
    if not isinstance(job, UnresolvedAssetJobDefinition):
        return job
    return dg.define_asset_job(
        job.name,
        selection=job.selection,
        description=job.description,
        tags=job.tags,
        run_tags=job.run_tags,
        metadata=job.metadata,
        partitions_def=job.partitions_def,
        executor_def=CELERY,
        hooks=job.hooks,
        op_retry_policy=job.op_retry_policy,
        owners=job.owners,
        automation_condition=job.automation_condition,
    )


defs = dg.Definitions(
    assets=platform.defs.assets,
    asset_checks=platform.defs.asset_checks,
    jobs=[on_celery(job) for job in platform.defs.jobs],
    schedules=platform.defs.schedules,
    sensors=platform.defs.sensors,
    resources=platform.defs.resources,
    loggers=platform.defs.loggers,
    executor=platform.defs.executor,
)
