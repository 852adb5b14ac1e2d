-- How many data-quality checks ran since %(since)s and how many failed, counting only each
-- check's latest result (one row).
select count(*), count(*) filter (where not passed)
from (
    select distinct on (asset_key, check_name) passed
    from quality.check_results
    where checked_at >= %(since)s
    order by asset_key, check_name, checked_at desc
) as latest
