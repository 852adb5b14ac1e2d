-- Takes back the analyst's read access to tables of its schemas that it must not read: alert
-- bodies quote error messages, which may carry values or hosts ({tables}).
revoke all on {tables} from {role}
