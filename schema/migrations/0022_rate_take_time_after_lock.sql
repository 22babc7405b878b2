-- af_rate_take (0021) read the clock before it had the scopes' rows: PostgreSQL evaluated the one-row CTE
-- `t` first and then waited for the row locks of other takers, so a decision that queued behind them counted
-- from the moment it started queueing. For an idle scope that moved TAT to (an earlier moment) + n/rate: the
-- scope forgot the time spent waiting, and the next taker could be granted that much too early. Now the time
-- is read from the locked rows (`t` aggregates over `cur`), so it is taken once every row is held.
CREATE OR REPLACE FUNCTION af_rate_take(requests jsonb, wanted integer, force boolean,
                                        OUT delay_seconds float8, OUT scopes_found integer,
                                        OUT scopes_taken integer)
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  WITH req(key, inc, tol) AS (
    SELECT r.key, r.inc, r.tol FROM jsonb_to_recordset(requests) AS r(key text, inc float8, tol float8)
  ),
  cur AS (
    SELECT r.key, r.tat, req.inc, req.tol
    FROM rate_limits r JOIN req ON req.key = r.key
    ORDER BY r.key
    FOR UPDATE OF r
  ),
  -- The decision's time, read after every row of `cur` is locked (an aggregate over it projects last), and
  -- synchronous_commit off for the rest of the caller's transaction (the limiter says why).
  t AS (
    SELECT clock_timestamp() AS now, set_config('synchronous_commit', 'off', true) AS async,
           count(*)::int AS found
    FROM cur
  ),
  d AS (
    SELECT greatest(t.now, max(cur.tat + make_interval(secs => cur.inc - greatest(cur.tol, cur.inc)))) AS at,
           t.now AS now, t.found AS found
    FROM cur CROSS JOIN t
    GROUP BY t.now, t.found
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
