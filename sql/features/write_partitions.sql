-- Inserts the rows a feature view's query computes for [first_day, last_day].
insert into {view_table} ({columns})
select {columns} from ({view_query}) as computed
