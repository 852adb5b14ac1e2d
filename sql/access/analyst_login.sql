-- The analyst login: may connect with its password, may not create databases or roles. The
-- password is a SCRAM verifier computed by the client, so the plain text never reaches the server.
alter role {role} with login nocreatedb nocreaterole password {password}
