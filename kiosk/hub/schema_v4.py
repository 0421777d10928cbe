"""The hub's fourth migration: people's photos travel through the hub, in a table of their own.

A photo (a small JPEG, personal data but not sealed: every door shows it) is set by a ``photo.set`` event whose
body names the bytes' digest under ``sealed``, and removed or replaced by an event naming it under ``erase``
(kiosk.services.photos).  The hub keeps the bytes in ``hub.photos``, apart from the check-ins' ciphertext in
``hub.sealed``, and enforces, whoever writes:
- the bytes hash to the digest they are stored under, are at most ``PHOTO_MAX_BYTES``, and, when the push
  commits, a ``photo.set`` event of the device that sent them names that digest: bytes no event names are
  refused;
- a ``photo.set`` event is refused at commit unless the hub holds the photo it names, or it was erased (by then,
  by any event);
- an event erasing a photo deletes its bytes (through ``hub.erased``), and bytes erased once are dropped when
  sent again (as sealed blobs are: a kiosk sets a new digest each time, kiosk.services.photos.keep);
- a device inserts only its own photos, reads them all while it is active, and never updates or deletes any.
"""

PHOTO_MAX_BYTES = 65_536  # a kiosk keeps a photo of at most 50 KB (kiosk.services.photos.MAX_BYTES)

FOURTH = r"""
CREATE TABLE hub.photos (
    digest text PRIMARY KEY,
    content bytea NOT NULL CHECK (octet_length(content) <= {PHOTO_MAX_BYTES}),
    device text NOT NULL REFERENCES hub.devices (name),
    received_at timestamptz NOT NULL DEFAULT now(),
    CHECK (digest = encode(sha256(content), 'hex'))
);

-- The photo events of a device, found without reading its scans (the door never writes such a row).
CREATE INDEX events_photo_set ON hub.events (device) WHERE type = '{PHOTO_SET}';

CREATE TRIGGER append_only BEFORE UPDATE ON hub.photos FOR EACH ROW EXECUTE FUNCTION hub.refuse_change();
-- hub.accept_blob drops bytes whose digest was erased.
CREATE TRIGGER accept_photo BEFORE INSERT ON hub.photos FOR EACH ROW EXECUTE FUNCTION hub.accept_blob();

-- At commit: the photo is named by a photo.set event of the device that sent it.
CREATE FUNCTION hub.photo_named() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM hub.events AS e
                   WHERE e.device = NEW.device AND e.type = '{PHOTO_SET}' AND strpos(e.payload, NEW.digest) > 0
                     AND NEW.digest = ANY (hub.digests(e.payload::json -> 'body', '{SEALED_FIELD}', e.event_id))) THEN
        RAISE EXCEPTION USING ERRCODE = '{UNNAMED_PHOTO}',
            MESSAGE = format('photo %s is named by no photo event of device %s: the hub keeps only the photos '
                             'its events name', NEW.digest, NEW.device);
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER photo_named AFTER INSERT ON hub.photos DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION hub.photo_named();

-- As in migration 2, but what a photo event names is looked for among the photos.
CREATE OR REPLACE FUNCTION hub.sealed_held() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT FROM unnest(hub.digests(NEW.payload::json -> 'body', '{SEALED_FIELD}', NEW.event_id)) AS d
               WHERE NOT EXISTS (SELECT FROM hub.sealed AS s WHERE s.digest = d AND NEW.type <> '{PHOTO_SET}')
                 AND NOT EXISTS (SELECT FROM hub.photos AS p WHERE p.digest = d AND NEW.type = '{PHOTO_SET}')
                 AND NOT EXISTS (SELECT FROM hub.erased AS x WHERE x.digest = d)) THEN
        RAISE EXCEPTION USING ERRCODE = '{MISSING_BLOB}',
            MESSAGE = format('event %s refers to sealed content the hub does not hold: push it with the event',
                             NEW.event_id);
    END IF;
    RETURN NULL;
END
$$;

-- An erasure (hub.accept_event records each erased digest once) deletes the photo too.
CREATE FUNCTION hub.erase_photo() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    DELETE FROM hub.photos WHERE digest = NEW.digest;
    RETURN NULL;
END
$$;

CREATE TRIGGER erase_photo AFTER INSERT ON hub.erased FOR EACH ROW EXECUTE FUNCTION hub.erase_photo();

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA hub FROM PUBLIC;
GRANT SELECT ON hub.photos TO {DEVICE_GROUP}, {OFFICE_GROUP};
GRANT INSERT (digest, content, device) ON hub.photos TO {DEVICE_GROUP};
ALTER TABLE hub.photos ENABLE ROW LEVEL SECURITY;
CREATE POLICY read_while_active ON hub.photos FOR SELECT TO {DEVICE_GROUP}, {OFFICE_GROUP}
    USING ((SELECT hub.my_device()) IS NOT NULL);
CREATE POLICY insert_own ON hub.photos FOR INSERT TO {DEVICE_GROUP}
    WITH CHECK (device = (SELECT hub.my_device()));
"""
