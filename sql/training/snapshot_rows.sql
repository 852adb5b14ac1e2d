-- Every row of a built dataset in a stable order (label_ts, entity), for its Parquet snapshot.
select * from {table} order by label_ts, {entity_key}
