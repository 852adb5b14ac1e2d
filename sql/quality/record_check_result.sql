-- Appends one check execution to the data-quality history (one row per check and run).
insert into quality.check_results
    (asset_key, check_name, partition_key, passed, severity, observed, run_id, data_version)
values (%s, %s, %s, %s, %s, %s, %s, %s)
