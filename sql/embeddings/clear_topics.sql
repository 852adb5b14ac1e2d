-- Removes the previous topic fit before a new one is written in the same transaction.
delete from vectors.topics
