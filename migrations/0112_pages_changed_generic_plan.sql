-- stoa_notify_pages_scoped (0110) finds the categories of the threads a posts statement changed with
-- t.id = ANY (thread_ids). PL/pgSQL plans that statement with the array as a parameter, and because
-- a plan for one known thread always looks cheaper than the generic plan (which assumes ten),
-- PostgreSQL kept choosing a custom plan: the statement was planned again on every insert of a post,
-- 3,121 plans for 3,110 calls over a `make bench-inbox` run, about 0.1 ms of planning against 0.01 ms
-- of execution (pg_stat_statements with track_planning). The generic plan is the same index probe
-- of threads' primary key for any number of threads, so the function always takes it; its other
-- statements read the transition tables and have no parameters, so nothing else changes.
ALTER FUNCTION stoa_notify_pages_scoped() SET plan_cache_mode = force_generic_plan;
