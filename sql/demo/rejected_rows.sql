-- Rejected rows per source table and reason (open and resolved), most frequent reason first.
select source_table, reason, count(*)
from quality.rejected_rows
group by source_table, reason
order by source_table, count(*) desc
