-- The latest recorded artifact_verifies result of one model version (its id is the check's
-- data_version): none means the artifact was never verified.
select passed, observed, run_id, checked_at
from quality.check_results
where asset_key = %(asset_key)s
  and check_name = 'artifact_verifies'
  and data_version = %(model_id)s
order by checked_at desc
limit 1
