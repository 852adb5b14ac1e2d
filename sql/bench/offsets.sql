-- Copy k's shift of a vector of `dims` dimensions for k in 1..copies, into pg_temp.nl_offsets:
-- each component drawn from md5(k, i) uniformly in [-0.005, 0.005] (a norm of about 0.06 at
-- 384 dimensions), deterministic, so a rerun copies the same vectors.
insert into pg_temp.nl_offsets (k, dims, shift)
select k, %(dims)s, array_agg(
    ((('x' || substr(md5(k || ':' || i), 1, 8))::bit(32)::integer)::float8 / 2147483648.0 * 0.005)::real
    order by i
)::vector
from generate_series(1, %(copies)s) as k
cross join generate_series(1, %(dims)s) as i
group by k
on conflict do nothing
