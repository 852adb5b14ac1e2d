-- Takes back from the analyst anything granted before where it must not read: the operational
-- copies ({denied}: ops, raw, staging), every quality table (the two it may read are granted
-- again next; quality.rejected_rows keeps raw rows with PII), and CREATE on every schema.
revoke all on all tables in schema {denied} from {role};
revoke all on all sequences in schema {denied} from {role};
revoke all on schema {denied} from {role};
alter default privileges for role {owner} in schema {denied} revoke all on tables from {role};
revoke all on all tables in schema quality from {role};
alter default privileges for role {owner} in schema quality revoke all on tables from {role};
alter default privileges for role {owner} revoke all on tables from {role};
revoke create on schema {every} from {role};
