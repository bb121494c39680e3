#!/bin/sh
# One-shot Vault setup for the vault-tokenizer (run by a one-shot service in compose.yaml,
# or by an operator). Idempotent: safe to run at every start; each run issues a fresh
# AppRole secret id and destroys the previous ones.
#
#   1. enables the transit engine and creates the tokenizer's key (aes256-gcm96, not
#      exportable, no plaintext backup, deletion not allowed);
#   2. writes the tokenizer's least-privilege policy (tokenizer-policy.hcl);
#   3. enables AppRole and creates the tokenizer's role (token TTL / max TTL, secret id
#      TTL and uses, optional CIDR bindings, no default policy);
#   4. writes the role id and a new secret id, mode 0600, into OUT_DIR, a volume that only
#      the tokenizer container mounts (read-only) and reads through VAULT_ROLE_ID /
#      VAULT_SECRET_ID_FILE.
#
# Needs: the vault CLI, VAULT_ADDR, and an administrative token in VAULT_TOKEN or
# VAULT_TOKEN_FILE (never the tokenizer's). Secrets are written to files, never printed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)

: "${VAULT_ADDR:?VAULT_ADDR must be set}"
if [ -n "${VAULT_TOKEN_FILE:-}" ]; then
  VAULT_TOKEN=$(cat "$VAULT_TOKEN_FILE")
  export VAULT_TOKEN
fi
: "${VAULT_TOKEN:?VAULT_TOKEN or VAULT_TOKEN_FILE must give an administrative token}"

TRANSIT_MOUNT=${TRANSIT_MOUNT:-transit}
TRANSIT_KEY=${TRANSIT_KEY:-tokenizer-kek}
APPROLE_MOUNT=${APPROLE_MOUNT:-approle}
ROLE_NAME=${ROLE_NAME:-tokenizer}
POLICY_NAME=${POLICY_NAME:-tokenizer}
POLICY_FILE=${POLICY_FILE:-$here/tokenizer-policy.hcl}
KEY_FILE=${KEY_FILE:-$here/transit-key.json}
TOKEN_TTL=${TOKEN_TTL:-1h}
TOKEN_MAX_TTL=${TOKEN_MAX_TTL:-4h}
# 0 = the secret id does not expire by time; it is replaced at each run of this script.
SECRET_ID_TTL=${SECRET_ID_TTL:-0}
SECRET_ID_NUM_USES=${SECRET_ID_NUM_USES:-0}
TOKEN_BOUND_CIDRS=${TOKEN_BOUND_CIDRS:-}
SECRET_ID_BOUND_CIDRS=${SECRET_ID_BOUND_CIDRS:-}
# Cryptoperiod of the transit key (PCI DSS 3.6.1.4); 0 disables automatic rotation.
AUTO_ROTATE_PERIOD=${AUTO_ROTATE_PERIOD:-8760h}
OUT_DIR=${OUT_DIR:-/vault/approle}
OUT_OWNER=${OUT_OWNER:-}
WAIT_SECONDS=${WAIT_SECONDS:-60}
# Optional fixed role id (an identifier, not a secret), so compose.yaml can pass the same
# value to the tokenizer as VAULT_ROLE_ID; unset, Vault's generated role id is kept.
ROLE_ID=${ROLE_ID:-}

fail() {
  echo "setup-approle: $*" >&2
  exit 1
}

# Names end up in paths and in the policy text: keep them to a safe alphabet.
for name in "$TRANSIT_MOUNT" "$TRANSIT_KEY" "$APPROLE_MOUNT" "$ROLE_NAME" "$POLICY_NAME"; do
  case "$name" in
    '' | *[!A-Za-z0-9_-]*) fail "invalid name '$name': use letters, digits, '-' and '_' only" ;;
  esac
done
[ -r "$POLICY_FILE" ] || fail "policy file $POLICY_FILE not readable"
[ -r "$KEY_FILE" ] || fail "transit key file $KEY_FILE not readable"

echo "setup-approle: waiting for Vault at $VAULT_ADDR to be unsealed"
waited=0
until vault status >/dev/null 2>&1; do
  waited=$((waited + 1))
  [ "$waited" -lt "$WAIT_SECONDS" ] || fail "Vault at $VAULT_ADDR is not reachable or still sealed after ${WAIT_SECONDS}s"
  sleep 1
done

# 1. Transit engine and key.
if ! vault secrets list -format=json | grep -q "\"$TRANSIT_MOUNT/\""; then
  vault secrets enable -path="$TRANSIT_MOUNT" transit >/dev/null
  echo "setup-approle: transit engine enabled at $TRANSIT_MOUNT/"
fi
if ! vault read "$TRANSIT_MOUNT/keys/$TRANSIT_KEY" >/dev/null 2>&1; then
  vault write "$TRANSIT_MOUNT/keys/$TRANSIT_KEY" - <"$KEY_FILE" >/dev/null
  echo "setup-approle: transit key $TRANSIT_KEY created"
fi
# A key made exportable (by hand, or before this script) can never be made unexportable again.
[ "$(vault read -field=type "$TRANSIT_MOUNT/keys/$TRANSIT_KEY")" = "aes256-gcm96" ] ||
  fail "transit key $TRANSIT_KEY is not aes256-gcm96"
[ "$(vault read -field=exportable "$TRANSIT_MOUNT/keys/$TRANSIT_KEY")" = "false" ] ||
  fail "transit key $TRANSIT_KEY is exportable: create a new key and rewrap"
[ "$(vault read -field=allow_plaintext_backup "$TRANSIT_MOUNT/keys/$TRANSIT_KEY")" = "false" ] ||
  fail "transit key $TRANSIT_KEY allows plaintext backup: create a new key and rewrap"
vault write "$TRANSIT_MOUNT/keys/$TRANSIT_KEY/config" \
  deletion_allowed=false auto_rotate_period="$AUTO_ROTATE_PERIOD" >/dev/null

# 2. Policy, with the mount and key names of this installation.
sed -e "s|\"transit/|\"$TRANSIT_MOUNT/|g" -e "s|tokenizer-kek|$TRANSIT_KEY|g" "$POLICY_FILE" |
  vault policy write "$POLICY_NAME" - >/dev/null
echo "setup-approle: policy $POLICY_NAME written"

# 3. AppRole and the tokenizer's role. Service tokens (batch tokens cannot be renewed),
#    no default policy (it would add cubbyhole and sys/ self-service paths).
if ! vault auth list -format=json | grep -q "\"$APPROLE_MOUNT/\""; then
  vault auth enable -path="$APPROLE_MOUNT" approle >/dev/null
  echo "setup-approle: approle enabled at $APPROLE_MOUNT/"
fi
set -- token_policies="$POLICY_NAME" token_no_default_policy=true token_type=service \
  token_ttl="$TOKEN_TTL" token_max_ttl="$TOKEN_MAX_TTL" token_num_uses=0 \
  bind_secret_id=true secret_id_ttl="$SECRET_ID_TTL" secret_id_num_uses="$SECRET_ID_NUM_USES"
[ -z "$TOKEN_BOUND_CIDRS" ] || set -- "$@" token_bound_cidrs="$TOKEN_BOUND_CIDRS"
[ -z "$SECRET_ID_BOUND_CIDRS" ] || set -- "$@" secret_id_bound_cidrs="$SECRET_ID_BOUND_CIDRS"
vault write "auth/$APPROLE_MOUNT/role/$ROLE_NAME" "$@" >/dev/null
if [ -n "$ROLE_ID" ]; then
  vault write "auth/$APPROLE_MOUNT/role/$ROLE_NAME/role-id" role_id="$ROLE_ID" >/dev/null
fi
echo "setup-approle: role $ROLE_NAME written (token ttl $TOKEN_TTL, max ttl $TOKEN_MAX_TTL)"

# 4. Role id and a fresh secret id, each written whole then renamed, mode 0600.
umask 077
mkdir -p "$OUT_DIR"
previous=$(vault list -format=json "auth/$APPROLE_MOUNT/role/$ROLE_NAME/secret-id" 2>/dev/null |
  tr -d '[]", ' | grep -v '^$' || true)
vault read -field=role_id "auth/$APPROLE_MOUNT/role/$ROLE_NAME/role-id" >"$OUT_DIR/role-id.tmp"
vault write -f -field=secret_id "auth/$APPROLE_MOUNT/role/$ROLE_NAME/secret-id" >"$OUT_DIR/secret-id.tmp"
if [ ! -s "$OUT_DIR/role-id.tmp" ] || [ ! -s "$OUT_DIR/secret-id.tmp" ]; then
  fail "Vault returned an empty role id or secret id"
fi
if [ -n "$OUT_OWNER" ]; then
  chown "$OUT_OWNER" "$OUT_DIR/role-id.tmp" "$OUT_DIR/secret-id.tmp"
fi
mv "$OUT_DIR/role-id.tmp" "$OUT_DIR/role-id"
mv "$OUT_DIR/secret-id.tmp" "$OUT_DIR/secret-id"
echo "setup-approle: role id and secret id written to $OUT_DIR"

# The tokenizer reads the secret id file at each login, so older secret ids can go now.
for accessor in $previous; do
  vault write "auth/$APPROLE_MOUNT/role/$ROLE_NAME/secret-id-accessor/destroy" \
    secret_id_accessor="$accessor" >/dev/null
done
[ -z "$previous" ] || echo "setup-approle: previous secret ids destroyed"
echo "setup-approle: done"
