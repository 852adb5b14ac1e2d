-- Per partition of _batch: rows landed, staged (newest clean version), rejected, and superseded
-- (an older clean version of an id whose newer version in the same batch was staged).
select
    partition_key,
    count(*) as rows_in,
    count(*) filter (where reason is null and version_rank = 1) as rows_staged,
    count(*) filter (where reason is not null) as rows_rejected,
    count(*) filter (where reason is null and version_rank > 1) as rows_superseded
from _batch
group by partition_key
order by partition_key
