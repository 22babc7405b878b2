-- The ids of a batch statement (src/db/id-array.ts), as an array the planner sees. In a plan made for the
-- statement's values the call is evaluated while planning (immutable, constant argument), so the array's real
-- length is estimated and the lookup goes by the key. In a plan kept for any values the call stays, and its
-- cost makes that plan lose to one made per run: PostgreSQL never keeps a plan for a statement using it, while
-- every other statement, and every foreign-key check, may keep theirs. PL/pgSQL so it is not inlined (an
-- inlined body would carry no cost). A kept plan cannot see the ids; one made while a table was small went on
-- scanning it whole (bench:sms: the submit write 4.9 ms a batch instead of 1.0, the SMS claim 8.5 instead of 2.0).
CREATE OR REPLACE FUNCTION af_ids(list text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 100000000 AS $$
BEGIN
  RETURN string_to_array(list, ',');
END;
$$;
