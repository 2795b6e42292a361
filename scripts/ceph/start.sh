#!/bin/bash
# Starts a throw-away one-node Ceph cluster on 127.0.0.1 (a monitor, one OSD that keeps its
# data in memory, radosgw on $RGW_PORT) with an S3 user whose access key and secret are
# both "test". Everything lives under $CEPH_DIR. Needs the Debian packages radosgw,
# ceph-mon, ceph-osd and ceph-common. Used by the tests for conditional writes, which
# s3rver ignores. Prints "READY <port>" when radosgw answers.
set -euo pipefail
CEPH_DIR=${CEPH_DIR:-${TMPDIR:-/tmp}/s3vfs-ceph}
RGW_PORT=${RGW_PORT:-7480}
MON_PORT=${MON_PORT:-6789}
rm -rf "$CEPH_DIR"
mkdir -p "$CEPH_DIR"/{mon,osd,run,log,rgw}
export CEPH_CONF=$CEPH_DIR/ceph.conf
fsid=$(cat /proc/sys/kernel/random/uuid)

# No authentication, one replica, small placement groups: a test cluster of one node.
cat > "$CEPH_CONF" <<CONF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$MON_PORT
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr2 = false
auth cluster required = none
auth service required = none
auth client required = none
auth supported = none
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd pool default pg autoscale mode = off
osd pool default pg num = 8
osd pool default pgp num = 8
mon max pg per osd = 1000
run dir = $CEPH_DIR/run
admin socket = $CEPH_DIR/run/\$name.asok
log file = $CEPH_DIR/log/\$name.log
pid file = $CEPH_DIR/run/\$name.pid
mon data = $CEPH_DIR/mon/\$name
osd data = $CEPH_DIR/osd/\$name
osd objectstore = memstore
memstore device bytes = 2147483648
osd max object name len = 460
osd max object namespace len = 64
[client.rgw.a]
# tcp_nodelay: without it every small response waits for Nagle's algorithm.
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT tcp_nodelay=1
rgw data = $CEPH_DIR/rgw
rgw dns name = 127.0.0.1
CONF

monmaptool --create --add a "127.0.0.1:$MON_PORT" --fsid "$fsid" "$CEPH_DIR/monmap" >/dev/null
ceph-authtool --create-keyring "$CEPH_DIR/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-mon --mkfs -i a --monmap "$CEPH_DIR/monmap" --keyring "$CEPH_DIR/keyring"
ceph-mon -i a
for _ in $(seq 1 30); do timeout 5 ceph -s >/dev/null 2>&1 && break; sleep 1; done

osd_uuid=$(cat /proc/sys/kernel/random/uuid)
osd=$(timeout 30 ceph osd create "$osd_uuid")
mkdir -p "$CEPH_DIR/osd/osd.$osd"
ceph-osd -i "$osd" --mkfs --osd-uuid "$osd_uuid" 2>/dev/null
# The OSD's first start can race the monitor and fail ("wrong fsid"); a retry works.
for try in 1 2 3 4 5; do ceph-osd -i "$osd" && break; sleep 2; done
for _ in $(seq 1 60); do timeout 5 ceph osd stat 2>/dev/null | grep -q "1 up" && break; sleep 1; done

radosgw -n client.rgw.a
for _ in $(seq 1 90); do curl -s -o /dev/null "http://127.0.0.1:$RGW_PORT/" && break; sleep 1; done
timeout 60 radosgw-admin user create --uid=test --display-name=test --access-key=test --secret-key=test >"$CEPH_DIR/user.json"
echo "READY $RGW_PORT"
