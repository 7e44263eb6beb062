#!/bin/sh
# An event handler: `gossip agent ... --event-handler joined,alive,dead,left=examples/upstreams.sh`
# keeps the file `upstreams` (or the file $UPSTREAMS names) listing the members that are
# alive, one `NAME ADDRESS` per line, as a load balancer's list of backends is kept.
# The agent runs it once per event, one run at a time, in the order of the events, with
# GOSSIP_EVENT (joined, alive, dead or left here), GOSSIP_MEMBER and
# GOSSIP_MEMBER_ADDRESS set.
set -eu
list=${UPSTREAMS:-upstreams}
touch "$list"
# Every line but this member's, then the member again if it is alive.
awk -v member="$GOSSIP_MEMBER" '$1 != member' "$list" >"$list.new"
case $GOSSIP_EVENT in
joined | alive) echo "$GOSSIP_MEMBER $GOSSIP_MEMBER_ADDRESS" >>"$list.new" ;;
esac
mv "$list.new" "$list"
