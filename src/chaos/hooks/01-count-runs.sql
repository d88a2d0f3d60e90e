-- Chaos runs: not idempotent on purpose. Every run of this file adds a row for its operation, so the
-- hooks-run-once invariant sees any second run on the same cluster (operation).
CREATE TABLE IF NOT EXISTS public.hook_runs (operation_id text NOT NULL, file text NOT NULL, ran_at timestamptz NOT NULL DEFAULT now());
INSERT INTO public.hook_runs (operation_id, file) VALUES (current_setting('aurora_restore.operation_id'), '01-count-runs.sql');
UPDATE public.customers SET email = 'customer-' || id || '@example.invalid', phone = NULL WHERE email NOT LIKE '%@example.invalid';
