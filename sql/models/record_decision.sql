-- Records one promotion-gate decision with every rule's outcome and observed values.
insert into ml.promotion_decisions (model_id, decision, reasons, run_id)
values (%(model_id)s, %(decision)s, %(reasons)s, %(run_id)s)
