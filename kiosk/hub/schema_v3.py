"""The hub's third migration: the same checks of each pushed event, spent only where they can find something.

``hub.accept_event`` checks every event exactly as migration 2 does (hash, canonical envelope, columns, chain
link, the digests named under ``sealed`` and ``erase``), but skips the work that cannot change the answer:
- an empty ``parents`` list (every door fact's) is canonical as it stands: ``hub.parents_ok``, with its two
  subqueries over the list, runs only for a non-empty one;
- a payload whose text holds no ``"sealed":`` (or ``"erase":``) cannot name that field at any depth, since a
  key is written that way in canonical JSON and a quote inside a string is escaped: ``hub.digests`` would
  return nothing, so it is called only when the text holds the key (the commit-time blob check uses the same
  test).
"""

THIRD = r"""
CREATE OR REPLACE FUNCTION hub.accept_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    f record;
    held text;
    last_seq bigint;
    last_hash text;
    refs text[];
BEGIN
    IF encode(sha256(convert_to(NEW.payload, 'UTF8')), 'hex') IS DISTINCT FROM NEW.hash THEN
        RAISE EXCEPTION USING ERRCODE = '{MALFORMED}',
            MESSAGE = format('event %s: hash is not the SHA-256 of its payload', NEW.event_id);
    END IF;
    SELECT * INTO f FROM json_to_record(NEW.payload::json) AS x(at text, parents json, body json);
    IF json_typeof(f.body) IS DISTINCT FROM 'object' OR f.at = ''
        OR NOT (f.parents::text = '[]' OR hub.parents_ok(f.parents))
        OR NEW.payload IS DISTINCT FROM
        '{{"at":' || to_json(f.at) || ',"body":' || f.body || ',"device":' || to_json(NEW.device)
        || ',"hlc":' || to_json(NEW.hlc) || ',"id":' || to_json(NEW.event_id) || ',"key":' || to_json(NEW.key)
        || ',"parents":' || f.parents::text || ',"prev":' || to_json(NEW.prev)
        || ',"seq":' || NEW.seq || ',"type":' || to_json(NEW.type) || ',"v":1}}'
    THEN
        RAISE EXCEPTION USING ERRCODE = '{MALFORMED}',
            MESSAGE = format('event %s: its columns do not match its payload, or the payload is not a '
                             'canonical format-1 event', NEW.event_id);
    END IF;

    PERFORM pg_advisory_xact_lock(hashtextextended('kiosk hub device ' || NEW.device, 0));
    SELECT e.seq, e.hash INTO last_seq, last_hash FROM hub.events AS e
        WHERE e.device = NEW.device ORDER BY e.seq DESC LIMIT 1;
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
        PERFORM hub.digests(f.body, '{SEALED_FIELD}', NEW.event_id);
    END IF;
    IF strpos(NEW.payload, '"{ERASE_FIELD}":') > 0 THEN
        refs := hub.digests(f.body, '{ERASE_FIELD}', NEW.event_id);
        IF cardinality(refs) > 0 THEN
            INSERT INTO hub.erased (digest, event_id) SELECT d, NEW.event_id FROM unnest(refs) AS d
                ON CONFLICT (digest) DO NOTHING;
            DELETE FROM hub.sealed WHERE digest = ANY (refs);
        END IF;
    END IF;
    PERFORM pg_notify('{CHANNEL}', NEW.device);
    RETURN NEW;
END
$$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA hub FROM PUBLIC;
"""
