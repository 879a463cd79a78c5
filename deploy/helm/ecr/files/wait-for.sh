#!/bin/sh
# Waits until the first server of a URL accepts TCP connections; the chart's
# init containers run it for NATS and MongoDB.
# Usage: wait-for.sh NAME URL DEFAULT_PORT TIMEOUT_SECONDS
# Exits 0 once connected, 1 after the timeout, 2 on bad arguments.
#
# It needs only POSIX sh and curl, the tools both Kaa's wait image and the ecr
# image have. Neither NATS nor MongoDB speaks HTTP, so success is curl's count
# of TCP connections made, whatever the server then answered.
set -u

if [ $# -ne 4 ]; then
  echo "usage: wait-for.sh NAME URL DEFAULT_PORT TIMEOUT_SECONDS" >&2
  exit 2
fi
name=$1 url=$2 default_port=$3 timeout=$4

# scheme://user:password@host:port,host2:port2/path?query -> host:port
address=${url#*://}
address=${address%%,*}
address=${address%%/*}
address=${address%%\?*}
address=${address##*@}
case ${address##*:} in
  "$address" | *[!0-9]* | "") address=$address:$default_port ;;
esac

deadline=$(($(date +%s) + timeout))
while :; do
  connects=$(curl -s -o /dev/null --connect-timeout 2 --max-time 3 \
    -w '%{num_connects}' "http://$address/" </dev/null)
  if [ "${connects:-0}" -gt 0 ]; then
    echo "$name: $address accepts connections"
    exit 0
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "$name: $address not reachable within ${timeout}s" >&2
    exit 1
  fi
  echo "$name: waiting for $address"
  sleep 2
done
