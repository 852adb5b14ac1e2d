-- Rejected rows of a table's partition range, counted by reason.
select reason, count(*) as rows
from quality.rejected_rows
where source_table = %(source_table)s
  and partition_key between %(first_partition)s and %(last_partition)s
group by reason
order by rows desc, reason
