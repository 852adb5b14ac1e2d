-- Recomputes the valid time of every version of the ids in _touched: valid_from is updated_at,
-- except the first version, which stands for the row back to created_at; valid_to is the next
-- version's valid_from, or deleted_at for a row the source deleted (NULL = current).
update {history_table} as h
set valid_from = v.valid_from, valid_to = v.valid_to
from (
    select
        id,
        updated_at,
        case when row_number() over w = 1 then least(created_at, updated_at) else updated_at end
            as valid_from,
        coalesce(deleted_at, lead(updated_at) over w) as valid_to
    from {history_table}
    where id in (select id from _touched)
    window w as (partition by id order by updated_at)
) as v
where h.id = v.id
  and h.updated_at = v.updated_at
  and (h.valid_from, h.valid_to) is distinct from (v.valid_from, v.valid_to)
