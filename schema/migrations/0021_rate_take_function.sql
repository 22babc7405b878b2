-- The rate limiter's decision (src/sms/rate/limiter.ts: GCRA over rate_limits, one statement for every scope
-- of a send) as a function, for one reason: its plan is kept. The application's connections plan every
-- statement for its values (plan_cache_mode = force_custom_plan, src/db/postgres.ts), right for statements
-- that look rows up by `id = any(...)`, but this one locks a few rows of a small table by key whatever the
-- values, and planning it took about 0.25 ms against 0.1 ms to run it: a tenth of PostgreSQL's time during the
-- 10:00 release (pg_stat_statements). PL/pgSQL keeps a statement's plan per connection; with generic plans
-- forced inside the function, it is made once. The statement is the one the limiter sent before, with its
-- requests as jsonb; see the limiter for what it does and why.
CREATE OR REPLACE FUNCTION af_rate_take(requests jsonb, wanted integer, force boolean,
                                        OUT delay_seconds float8, OUT scopes_found integer,
                                        OUT scopes_taken integer)
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  WITH req(key, inc, tol) AS (
    SELECT r.key, r.inc, r.tol FROM jsonb_to_recordset(requests) AS r(key text, inc float8, tol float8)
  ),
  -- synchronous_commit off for the rest of the caller's transaction (the limiter says why); referenced
  -- below, so it is evaluated.
  t AS (SELECT clock_timestamp() AS now, set_config('synchronous_commit', 'off', true) AS async),
  cur AS (
    SELECT r.key, r.tat, req.inc, req.tol
    FROM rate_limits r JOIN req ON req.key = r.key
    ORDER BY r.key
    FOR UPDATE OF r
  ),
  d AS (
    SELECT greatest(t.now, max(cur.tat + make_interval(secs => cur.inc - greatest(cur.tol, cur.inc)))) AS at,
           t.now AS now, count(*)::int AS found
    FROM cur CROSS JOIN t
    GROUP BY t.now
  ),
  upd AS (
    UPDATE rate_limits r
    SET tat = greatest(cur.tat, d.at) + make_interval(secs => cur.inc)
    FROM cur CROSS JOIN d
    WHERE r.key = cur.key AND d.found = wanted AND (force OR d.at <= d.now)
    RETURNING r.key
  )
  SELECT extract(epoch FROM (d.at - d.now))::float8, d.found, (SELECT count(*)::int FROM upd)
  INTO delay_seconds, scopes_found, scopes_taken
  FROM d;
END;
$$;
