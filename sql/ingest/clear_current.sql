-- Removes the current-state rows of the ids in _touched before they are rebuilt from history.
delete from {staging_table} where id in (select id from _touched)
