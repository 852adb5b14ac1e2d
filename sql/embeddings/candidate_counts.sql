-- Candidate events of the run per action (embed, unchanged, or a skip reason).
select action, count(*) as events
from embedding_candidates
group by action
order by action
