-- The checks whose latest result, per asset, check and partition, failed: what is broken now
-- (a failure since fixed by a passing re-run is not listed). Newest first.
select asset_key, check_name, coalesce(partition_key, '-'), severity, checked_at
from (
    select distinct on (asset_key, check_name, partition_key)
        asset_key, check_name, partition_key, severity, passed, checked_at
    from quality.check_results
    order by asset_key, check_name, partition_key, checked_at desc
) as latest
where not passed
order by checked_at desc
limit %(limit)s
