-- A rotation may also replace the key-encryption key: the new KEK is recorded so an
-- interrupted run resumes rewrapping subject data keys onto the same one.
ALTER TABLE key_rotations ADD COLUMN new_kek_id text REFERENCES provider_wrapped_keys (id);
ALTER TABLE key_rotations ADD COLUMN subject_keys_rewrapped integer NOT NULL DEFAULT 0;
CREATE INDEX subject_keys_kek ON subject_keys (kek_id) WHERE erased_at IS NULL;
