-- The current topics with their labels and sizes, for the asset's metadata.
select topic_id, label, size from vectors.topics order by topic_id
