-- Test accounts QA logs in with on staging. Idempotent (ON CONFLICT), so it is marked re-runnable in the
-- request: a redelivery may run it again without harm.
INSERT INTO public.customers (id, full_name, email, country)
VALUES (900001, 'QA Tester', 'qa-tester@example.invalid', 'NL'),
       (900002, 'QA Admin',  'qa-admin@example.invalid',  'NL')
ON CONFLICT (id) DO UPDATE SET full_name = EXCLUDED.full_name, email = EXCLUDED.email;
