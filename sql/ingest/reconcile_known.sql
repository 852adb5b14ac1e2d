-- The keys (and the valid date, where the reconcile is windowed) that the platform knows of one
-- source table: its staged rows and its open rejections, parsed from the landed text.
(
    select {columns} from {staging_table}
    union all
    select {parsed}
    from quality.rejected_rows
    where source_table = {source_table}
      and resolved_at is null
      and pg_input_is_valid(raw_row ->> 'id', 'uuid')
) as known
