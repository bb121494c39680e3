# Vault policy of the vault-tokenizer service (AppRole "tokenizer").
# Least privilege (PCI DSS 3.6.1, 7.2.2): the tokenizer may use its own transit key
# "tokenizer-kek" on mount "transit" for exactly the calls it makes, and manage its own
# token. It cannot read or export key material, delete or reconfigure the key beyond
# min_decryption_version, touch any other key or mount, or write anything under sys/.
# The AppRole is created with token_no_default_policy=true, so nothing else is granted.
# setup-approle.sh substitutes the mount and key names when they differ from these.

# New data-key-encryption keys: plaintext for use in memory, ciphertext for storage.
path "transit/datakey/plaintext/tokenizer-kek" {
  capabilities = ["update"]
}

# Unwrap a stored key-encryption key.
path "transit/decrypt/tokenizer-kek" {
  capabilities = ["update"]
}

# Move a wrapped key to the latest key version without exposing it (rotation command).
path "transit/rewrap/tokenizer-kek" {
  capabilities = ["update"]
}

# Rotate the transit key (rotation command).
path "transit/keys/tokenizer-kek/rotate" {
  capabilities = ["update"]
}

# Retire old key versions after a rewrap; no other setting of the key may be changed
# (not deletion_allowed, exportable, allow_plaintext_backup or auto_rotate_period).
path "transit/keys/tokenizer-kek/config" {
  capabilities = ["update"]
  allowed_parameters = {
    "min_decryption_version" = []
  }
}

# Key metadata (versions, min_decryption_version); Vault never returns key material here.
path "transit/keys/tokenizer-kek" {
  capabilities = ["read"]
}

# Keep its own token alive, and look at it.
path "auth/token/renew-self" {
  capabilities = ["update"]
}

path "auth/token/lookup-self" {
  capabilities = ["read"]
}
