-- Alerts: one row per alert and destination, whether it was sent, failed or suppressed as a
-- repeat. Bodies name assets, checks, runs, counts and thresholds, never row values from
-- ops/raw/staging; destinations are stored with their secrets masked.

create table monitoring.alerts (
    id bigint generated always as identity primary key,
    kind text not null,
    severity text not null check (severity in ('info', 'warning', 'critical')),
    condition_key text not null,
    subject text not null,
    body text not null,
    destination text,
    status text not null check (status in ('sent', 'failed', 'suppressed')),
    error text,
    created_at timestamptz not null default clock_timestamp(),
    run_id text
);

-- The repeat check: the last sent alert of a condition to a destination.
create index alerts_condition_idx on monitoring.alerts (kind, condition_key, destination, created_at)
    where status = 'sent';

comment on table monitoring.alerts is 'One row per alert and destination: what the platform told its operators (run failures, failed checks, late data, blocked gates, drift, rollbacks) and whether it was sent, failed or suppressed as a repeat of a condition already sent that day. Bodies carry names, counts and thresholds, never row values.';
comment on column monitoring.alerts.id is 'Alert row id (identity).';
comment on column monitoring.alerts.kind is 'What happened: run_failure, check_failure, freshness, gate_blocked, drift or rollback.';
comment on column monitoring.alerts.severity is 'info, warning or critical.';
comment on column monitoring.alerts.condition_key is 'Identifies the open condition within its kind (e.g. the job and its failed steps): a condition already sent to a destination in the last day is not sent again.';
comment on column monitoring.alerts.subject is 'The alert''s one-line subject (the email subject, the webhook title).';
comment on column monitoring.alerts.body is 'The alert''s text: names of assets, checks and runs, counts and thresholds; never row values from ops, raw or staging.';
comment on column monitoring.alerts.destination is 'Where it went: the notification URL with its passwords and tokens masked; null when no destination is configured.';
comment on column monitoring.alerts.status is 'sent, failed (the destination refused or could not be reached, or none is configured) or suppressed (a repeat within a day of a sent alert for the same condition and destination).';
comment on column monitoring.alerts.error is 'Why sending failed (secrets masked); null when sent or suppressed.';
comment on column monitoring.alerts.created_at is 'When the alert was recorded.';
comment on column monitoring.alerts.run_id is 'Dagster run the alert is about or was raised in; null outside a run.';
