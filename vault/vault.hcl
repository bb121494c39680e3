# Vault server configuration for compose.yaml. Storage on a private volume; the listener
# is reachable only on the internal `vault` network (the tokenizer and the setup job).
# TLS with a certificate from the internal CA: the tokenizer verifies it (VAULT_CACERT).
ui = false
# mlock is off: compose.yaml runs Vault as a non-root user with every capability dropped and
# no-new-privileges, so it cannot lock memory (that needs CAP_IPC_LOCK or a raised memlock
# limit, which hosts like the CI sandbox refuse). Run the host without swap or with encrypted
# swap, as Vault's documentation asks when mlock is disabled (SECURITY.md, known limitations).
disable_mlock = true

storage "file" {
  path = "/vault/file"
}

listener "tcp" {
  address         = "0.0.0.0:8200"
  tls_cert_file   = "/run/secrets/vault_cert"
  tls_key_file    = "/run/secrets/vault_key"
  tls_min_version = "tls12"
}

api_addr = "https://vault:8200"
