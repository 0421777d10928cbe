"""The hub's fifth migration: the same checks of each pushed event, with no query per event in the steady state.

``hub.accept_event`` checks every event exactly as migration 3 does (hash, canonical envelope, columns, chain
link, the digests named under ``sealed`` and ``erase``, an event already held skipped, a fork refused), but a
push of a batch no longer runs four queries for each of its rows:
- the payload is parsed once as ``json`` and its fields read by expressions (``json_to_record`` was a query);
- the device's lock is taken, and the wake-up sent, at the first event the transaction accepts of that device,
  not at every event (both hold to the end of the transaction either way);
- the link an event must follow is the event this transaction accepted just before it, when that is its
  device's previous seq, remembered in a transaction-local setting (``hub.last_accepted``: device, seq, hash);
  otherwise it is read from the table, as before.  The setting is rolled back with the transaction or
  savepoint that set it (after the transaction it reads as empty), and nobody else can add to the device's
  chain meanwhile: its lock is held.
"""

FIFTH = r"""
CREATE OR REPLACE FUNCTION hub.accept_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    j json;
    f_at text;
    f_parents json;
    f_body json;
    held text;
    last_seq bigint;
    last_hash text;
    refs text[];
    remembered text := current_setting('hub.last_accepted', true);
BEGIN
    IF encode(sha256(convert_to(NEW.payload, 'UTF8')), 'hex') IS DISTINCT FROM NEW.hash THEN
        RAISE EXCEPTION USING ERRCODE = '{MALFORMED}',
            MESSAGE = format('event %s: hash is not the SHA-256 of its payload', NEW.event_id);
    END IF;
    j := NEW.payload::json;
    IF json_typeof(j) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION USING ERRCODE = '{MALFORMED}',
            MESSAGE = format('event %s: its payload is not a canonical format-1 event', NEW.event_id);
    END IF;
    f_at := j ->> 'at';
    f_parents := j -> 'parents';
    f_body := j -> 'body';
    IF json_typeof(f_body) IS DISTINCT FROM 'object' OR f_at = ''
        OR NOT (f_parents::text = '[]' OR hub.parents_ok(f_parents))
        OR NEW.payload IS DISTINCT FROM
        '{{"at":' || to_json(f_at) || ',"body":' || f_body || ',"device":' || to_json(NEW.device)
        || ',"hlc":' || to_json(NEW.hlc) || ',"id":' || to_json(NEW.event_id) || ',"key":' || to_json(NEW.key)
        || ',"parents":' || f_parents::text || ',"prev":' || to_json(NEW.prev)
        || ',"seq":' || NEW.seq || ',"type":' || to_json(NEW.type) || ',"v":1}}'
    THEN
        RAISE EXCEPTION USING ERRCODE = '{MALFORMED}',
            MESSAGE = format('event %s: its columns do not match its payload, or the payload is not a '
                             'canonical format-1 event', NEW.event_id);
    END IF;

    IF split_part(remembered, ' ', 1) = NEW.device AND split_part(remembered, ' ', 2) = (NEW.seq - 1)::text THEN
        last_seq := NEW.seq - 1;  -- accepted by this transaction, which holds the device's lock
        last_hash := split_part(remembered, ' ', 3);
    ELSE
        IF split_part(remembered, ' ', 1) IS DISTINCT FROM NEW.device THEN
            PERFORM pg_advisory_xact_lock(hashtextextended('kiosk hub device ' || NEW.device, 0));
        END IF;
        SELECT e.seq, e.hash INTO last_seq, last_hash FROM hub.events AS e
            WHERE e.device = NEW.device ORDER BY e.seq DESC LIMIT 1;
    END IF;
    IF NEW.seq = coalesce(last_seq, 0) + 1 AND NEW.prev = coalesce(last_hash, repeat('0', 64)) THEN
        NULL;
    ELSIF NEW.seq <= last_seq THEN
        SELECT e.hash INTO held FROM hub.events AS e WHERE e.event_id = NEW.event_id;
        IF held = NEW.hash THEN
            RETURN NULL;
        ELSIF FOUND THEN
            RAISE EXCEPTION USING ERRCODE = '{CONFLICT}',
                MESSAGE = format('event %s is already held at the hub with other content', NEW.event_id);
        END IF;
        RAISE EXCEPTION USING ERRCODE = '{CONFLICT}',
            MESSAGE = format('device %s: the hub already holds another event %s (id %s is new): this '
                             'device''s history has forked', NEW.device, NEW.seq, NEW.event_id);
    ELSE
        RAISE EXCEPTION USING ERRCODE = '{CHAIN_BROKEN}',
            MESSAGE = format('device %s: event %s does not follow the hub''s last event %s (expected seq %s '
                             'with the previous event''s hash)', NEW.device, NEW.seq, coalesce(last_seq, 0),
                             coalesce(last_seq, 0) + 1);
    END IF;

    IF strpos(NEW.payload, '"{SEALED_FIELD}":') > 0 THEN
        PERFORM hub.digests(f_body, '{SEALED_FIELD}', NEW.event_id);
    END IF;
    IF strpos(NEW.payload, '"{ERASE_FIELD}":') > 0 THEN
        refs := hub.digests(f_body, '{ERASE_FIELD}', NEW.event_id);
        IF cardinality(refs) > 0 THEN
            INSERT INTO hub.erased (digest, event_id) SELECT d, NEW.event_id FROM unnest(refs) AS d
                ON CONFLICT (digest) DO NOTHING;
            DELETE FROM hub.sealed WHERE digest = ANY (refs);
        END IF;
    END IF;
    IF split_part(remembered, ' ', 1) IS DISTINCT FROM NEW.device THEN
        PERFORM pg_notify('{CHANNEL}', NEW.device);  -- delivered at commit: once per device and push is enough
    END IF;
    remembered := set_config('hub.last_accepted', NEW.device || ' ' || NEW.seq || ' ' || NEW.hash, true);
    RETURN NEW;
END
$$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA hub FROM PUBLIC;
"""
