-- Mask the personal data a production snapshot carries before anyone with staging access can read it.
-- Runs as the master user, in one transaction with its ledger row (aurora_restore.hook_ledger), before any
-- application user may log in. Deterministic per customer id: a rerun gives the same values.
UPDATE public.customers
   SET full_name = 'Customer ' || id,
       email     = 'customer-' || id || '@example.invalid',
       phone     = NULL,
       street    = NULL,
       birth_date = NULL
 WHERE email NOT LIKE '%@example.invalid';

-- Free-text notes may quote anything: drop them.
UPDATE public.customers SET notes = NULL WHERE notes IS NOT NULL;

-- Orders keep their amounts; the customer name they copied is masked too.
UPDATE public.orders SET customer = 'Customer ' || customer_id WHERE customer_id IS NOT NULL;
