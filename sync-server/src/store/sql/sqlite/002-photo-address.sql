-- Schema 2: a photo is downloaded only by devices whose communities have a record of it, so the
-- server looks photo records up by their address. Partial: the other changes do not pay for it.
CREATE INDEX changes_photo_address ON changes (value) WHERE kind = 'photo' AND field = 'sha256';
