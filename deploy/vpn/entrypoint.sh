#!/bin/sh
# Staff VPN (compose.yaml `vpn`). Starts as root with NET_ADMIN, SETUID and SETGID only, and
# runs nothing as root: wireguard-go runs as uid 10002 keeping NET_ADMIN (its tunnel device),
# wg and the forwarder as uid 10002 with no capability.
#   /run/secrets/vpn_server_key   the server's WireGuard private key (base64)
#   /run/secrets/vpn_peers        [Peer] sections, one per staff device (PublicKey, AllowedIPs /32)
# Staff reach exactly one thing: the admin portal's TLS port, at 10.13.13.1:3443 in the tunnel
# (no IP forwarding: nothing else on the admin network is routable from a staff device).
set -eu
ADDRESS=${VPN_ADDRESS:-10.13.13.1/24}
LISTEN_PORT=${VPN_LISTEN_PORT:-51820}
PORTAL=${VPN_PORTAL:-admin-portal:3443}
as_vpn() { setpriv --reuid=10002 --regid=10002 --clear-groups "$@"; }

# The device node runc creates is root's, mode 0600: the tunnel process (uid 10002) opens it.
# Nothing else runs in this container.
chmod 0666 /dev/net/tun

as_vpn --inh-caps=+net_admin --ambient-caps=+net_admin env WG_PROCESS_FOREGROUND=1 wireguard-go wg0 &
wg_pid=$!
# /run/wireguard is the tunnel user's (mode 0700): look and write there as that user.
for _ in $(seq 1 100); do
  as_vpn test -S /run/wireguard/wg0.sock && break
  kill -0 "$wg_pid" 2>/dev/null || { echo 'vpn: wireguard-go exited' >&2; exit 1; }
  sleep 0.1
done
as_vpn test -S /run/wireguard/wg0.sock || { echo 'vpn: wireguard-go did not open its control socket' >&2; exit 1; }

as_vpn env LISTEN_PORT="$LISTEN_PORT" sh -c '
  umask 077
  conf=/run/wireguard/wg0.conf
  { printf "[Interface]\nPrivateKey = %s\nListenPort = %s\n\n" "$(cat /run/secrets/vpn_server_key)" "$LISTEN_PORT"
    cat /run/secrets/vpn_peers; } >"$conf"
  wg setconf wg0 "$conf"
  rm -f "$conf"'
ip address add "$ADDRESS" dev wg0
ip link set wg0 up

bind=${ADDRESS%/*}
as_vpn socat "TCP-LISTEN:3443,bind=$bind,fork,reuseaddr,max-children=64" "TCP:$PORTAL,connect-timeout=5" &
fwd_pid=$!
echo "vpn: wg0 $ADDRESS on udp/$LISTEN_PORT; $bind:3443 forwards to $PORTAL"
trap 'kill "$wg_pid" "$fwd_pid" 2>/dev/null' TERM INT
# Either process ending ends the container (restart policy brings both back).
while kill -0 "$wg_pid" 2>/dev/null && kill -0 "$fwd_pid" 2>/dev/null; do
  sleep 5 &
  wait $! || true
done
kill "$wg_pid" "$fwd_pid" 2>/dev/null || true
exit 1
