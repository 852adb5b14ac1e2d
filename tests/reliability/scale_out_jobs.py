"""A module-level job for `dg.reconstructable`: run processes re-import it to find the job, as
they would in a scaled-out deployment. The database comes from DATABASE_URL (every process gets
the same environment), never from a value held in the parent's memory."""

import dagster as dg

from platform_assets.definitions import defs

PROBE_KEYS = [
    ["raw", "organizations"], ["staging", "organizations"], ["raw", "customers"],
    ["staging", "customers"],
]


def ingest_and_features_job() -> dg.JobDefinition:
    job = dg.define_asset_job(
        "scale_out_probe",
        selection=dg.AssetSelection.assets(*PROBE_KEYS),
    )
    return dg.Definitions(
        assets=list(defs.assets), jobs=[job], resources=defs.resources,
        executor=dg.multiprocess_executor,
    ).resolve_job_def("scale_out_probe")
