#!/bin/sh
# Runs once, when the PostgreSQL volume is first initialised (/docker-entrypoint-initdb.d):
# one role and one database per process, each role owning its database (the catalog's
# migration creates the trusted `unaccent` extension and a text search configuration there).
set -eu

for service in catalog candidacy sessions webhooks gateway; do
    password_variable=$(echo "${service}_DB_PASSWORD" | tr '[:lower:]' '[:upper:]')
    eval "password=\${$password_variable:?$password_variable is not set}"
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        -v role="$service" -v password="$password" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role";
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
SQL
done
