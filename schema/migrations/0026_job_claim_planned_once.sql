-- The table queue's claim (src/queue/pg-queue.ts: PgTableQueue.claim), as a function for the reason the
-- submit write is one (0025): its plan is kept. Sent with `af_ids` (0024) for the ids it deletes, it was
-- planned for its values on every run: 0.27 ms of planning against 0.53 ms of running, 2,720 times during
-- the 10:00 release (pg_stat_statements, bench:sms), and on the way of every job of every queue: a victim
-- warning's SMS is claimed once, an alert's push once.
--
-- Three statements, each with a plan that holds whatever the table's size when it was made: the handled jobs
-- deleted by primary key, the oldest visible jobs of the queue picked and locked from jobs_queue_visible_idx,
-- and those updated by primary key. Sequential scans are off inside the function, so a plan kept from a
-- moment when the queue was empty still goes by those indexes once it holds a flood (EXPLAIN of each generic
-- plan on an empty and on a 50,000-job table). As one statement the kept plan was not safe: made on a large
-- table, it hashed the picked jobs against a scan of the whole primary key.
-- `handled` is the ids of the jobs the caller finished, comma-separated ('' for none). The caller's
-- statement also lets this commit skip the wait for the disk (src/db/no-flush-wait.ts says why that is safe).
CREATE OR REPLACE FUNCTION af_claim_jobs(claim_queue text, claim_limit integer, visibility_seconds float8,
                                         holder text, handled text)
RETURNS TABLE (id bigint, payload jsonb, receive_count integer)
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan SET enable_seqscan = off AS $$
#variable_conflict use_column
DECLARE
  picked bigint[];
BEGIN
  DELETE FROM jobs d WHERE d.id = any(string_to_array(handled, ',')::bigint[]);
  picked := array(SELECT c.id FROM jobs c
                  WHERE c.queue = claim_queue AND c.visible_at <= now()
                  ORDER BY c.visible_at, c.id LIMIT claim_limit FOR UPDATE SKIP LOCKED);
  RETURN QUERY
  UPDATE jobs j
  SET visible_at = now() + make_interval(secs => visibility_seconds),
      receive_count = j.receive_count + 1, claimed_by = holder
  WHERE j.id = any(picked)
  RETURNING j.id, j.payload, j.receive_count;
END;
$$;
