#!/bin/sh
# An event handler: `gossip agent ... --event-handler joined,alive,dead,left=examples/upstreams.sh`
# keeps the file `upstreams` (or the file $UPSTREAMS names) listing the members that are
# alive, one `NAME ADDRESS` per line, as a load balancer's list of backends is kept.
# The agent runs it once per event, one run at a time, in the order of the events, with
# GOSSIP_EVENT (joined, alive, dead or left here), GOSSIP_MEMBER and, while the agent
# holds the member, GOSSIP_MEMBER_ADDRESS set.
set -eu
list=${UPSTREAMS:-upstreams}
touch "$list"
# Every line but this member's (its name is all before the last space, and is compared
# as it is: read from the environment, not through awk's escapes), then the member
# again if it is alive.
awk '{ name = $0; sub(/ [^ ]*$/, "", name) } name != ENVIRON["GOSSIP_MEMBER"]' "$list" >"$list.new"
case $GOSSIP_EVENT in
joined | alive)
	if [ -n "${GOSSIP_MEMBER_ADDRESS:-}" ]; then
		echo "$GOSSIP_MEMBER $GOSSIP_MEMBER_ADDRESS" >>"$list.new"
	fi
	;;
esac
mv "$list.new" "$list"
