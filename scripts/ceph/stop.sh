#!/bin/bash
# Stops the cluster scripts/ceph/start.sh started, and deletes its data.
CEPH_DIR=${CEPH_DIR:-${TMPDIR:-/tmp}/s3vfs-ceph}
for name in client.rgw.a osd.0 mon.a; do
  pidfile=$CEPH_DIR/run/$name.pid
  [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
done
sleep 2
for name in client.rgw.a osd.0 mon.a; do
  pidfile=$CEPH_DIR/run/$name.pid
  [ -f "$pidfile" ] && kill -9 "$(cat "$pidfile")" 2>/dev/null
done
rm -rf "$CEPH_DIR"
exit 0
