-- pgbench custom script: one single-row INSERT (its own transaction) per pgbench transaction.
-- Expects this table, created by the harness in a schema on the search_path (public):
--   CREATE TABLE pgbench_orgs (
--       id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
--       name text NOT NULL,
--       slug text NOT NULL UNIQUE,
--       created_at timestamptz NOT NULL DEFAULT now()
--   );
-- Slugs stay unique across clients (:client_id prefix), transactions and runs (md5 of a
-- random number and the wall-clock time, which changes between any two transactions).
\set n random(1, 1000000000)
INSERT INTO pgbench_orgs (name, slug)
VALUES ('Org ' || :n, 'c' || :client_id || '-' || md5(random()::text || clock_timestamp()::text));
