-- A new role with no privileges at all; its login and attributes are set right after.
create role {role} with nologin nosuperuser nocreatedb nocreaterole
