-- Which of the given ids the source still holds (anywhere, not only in the reconcile scope).
-- Runs on the source database.
select id::text from {table} where id = any(%(ids)s::uuid[])
