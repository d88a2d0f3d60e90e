-- A second file, so a crash can fall between two commits.
INSERT INTO public.hook_runs (operation_id, file) VALUES (current_setting('aurora_restore.operation_id'), '02-second.sql');
