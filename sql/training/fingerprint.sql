-- A content fingerprint of a table: its row count and the sum of its rows' 64-bit text hashes,
-- independent of row order (run with timezone, datestyle and extra_float_digits pinned).
select count(*) as row_count, coalesce(sum(hashtextextended(t::text, 0)), 0)::text as row_hash
from {table} as t
