-- The platform's group role: no login of its own; a service login is granted membership.
alter role {role} with nologin nocreatedb nocreaterole
