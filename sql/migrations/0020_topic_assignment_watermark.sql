-- How far each topic fit's assignments are known to be up to date: every event of the partitions
-- up to assigned_through has its topic under the fit. An event changes (lands, is re-typed,
-- re-embedded or deleted) only in the partitions of the run that changes it, so a run whose
-- range starts at most a day later assigns only its own partitions' events; without this every
-- night recomputed the nearest centroid of every embedded event (43.3 s, and 19.9 s to find
-- stale assignments, of a night at 100,000 customers x 365 days). A full pass confirms it weekly.
alter table vectors.topic_fits add column assigned_through text;
alter table vectors.topic_fits add column assigned_verified_at timestamptz;

comment on column vectors.topic_fits.assigned_through is 'The last partition up to which every event has its topic under this fit; null: the next assignment considers every event.';
