-- Drops the staged vectors whose event's text changed (or whose event left staging) since this
-- run read its candidates: under the table's lock, just before the upsert, so a slower
-- concurrent run never writes a vector of a text that is no longer there. The run that read the
-- new text embeds it (or the next one does).
delete from embedding_staged as s
using embedding_candidates as c
where c.event_id = s.event_id
  and not exists (
      select 1 from staging.service_events as e
      where e.id = s.event_id and md5(e.description) = c.checksum
  )
