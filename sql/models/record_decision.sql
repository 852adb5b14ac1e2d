-- Records one promotion-gate decision with every rule's outcome and observed values, who asked
-- for it and the thresholds it overrode. decided_at is the clock, not now(): the transaction
-- began before it waited for the name's lock, and decisions must sort in the order made.
insert into ml.promotion_decisions
    (model_id, decision, reasons, run_id, actor, overrides, decided_at)
values
    (%(model_id)s, %(decision)s, %(reasons)s, %(run_id)s, %(actor)s, %(overrides)s,
     clock_timestamp())
