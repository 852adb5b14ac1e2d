-- Removes the vectors of other model versions of the events just embedded whose text changed
-- since those were computed: a vector stands only for the text that is there now.
delete from vectors.service_event_embeddings as v
using embedding_staged as s, staging.service_events as e
where v.event_id = s.event_id and e.id = s.event_id
  and v.model_version <> %(model_version)s
  and v.checksum is distinct from md5(e.description)
