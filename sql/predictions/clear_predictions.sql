-- Removes one task's predictions of a partition range, so a re-run replaces them in the same
-- transaction that writes the new ones (partition keys are ISO dates: text order is date order).
delete from ml.predictions
where prediction_type = %(task)s and partition_key between %(first_day)s and %(last_day)s
