-- The training dataset's blocking check results on exactly one version, the latest of each
-- check (the feature views' evidence is per day and fingerprint: models/lineage_days).
select distinct on (check_name) check_name, passed, observed, run_id
from quality.check_results
where asset_key = %(dataset_asset)s
    and data_version = %(dataset_version)s
    and severity = 'error'
order by check_name, checked_at desc
