"""Network RPCs: peers, connections, bans, and the network's state (over ``ctx.connman``)."""

from __future__ import annotations

import ipaddress
import time

from ..amount import to_decimal
from ..node import net as p2p
from ..node.net import protocol
from ..node.net.addrman import network_of
from ..node.net.banman import parse_subnet, subnet_text
from ..node.net.connman import split_host_port
from ..node.net.processing import mockable_now
from ..util import time as clock
from .util import (RPC_CLIENT_P2P_DISABLED, RPC_INVALID_PARAMETER, RPC_INVALID_PARAMS, RPC_MISC_ERROR,
                   RPC_TYPE_ERROR, Arg, MethodTable, RPCError, json_type_name)

table = MethodTable()
method = table.method

RPC_CLIENT_NODE_ALREADY_ADDED = -23
RPC_CLIENT_NODE_NOT_ADDED = -24
RPC_CLIENT_NODE_NOT_CONNECTED = -29
RPC_CLIENT_INVALID_IP_OR_SUBNET = -30

_NETWORKS = ("ipv4", "ipv6", "onion", "i2p", "cjdns")


def _connman(ctx):
    connman = getattr(ctx, "connman", None)
    if connman is None:
        raise RPCError(RPC_CLIENT_P2P_DISABLED, "Error: Peer-to-peer functionality missing or disabled")
    return connman


def _services_names(services: int) -> list[str]:
    return [name for bit, name in sorted(protocol.SERVICE_NAMES.items()) if services & bit]


def _permissions(peer) -> list[str]:
    return [name for name in ("bloomfilter", "noban", "forcerelay", "relay", "mempool", "download", "addr")
            if peer.has_permission(name)]


def _peer_json(peer, deprecated_banscore: bool = False) -> dict:
    now = time.monotonic()
    host, port = peer.bind
    info = {
        "id": peer.id,
        "addr": peer.addr,
        "addrbind": f"{host}:{port}" if host else "",
        "network": "onion" if peer.inbound_onion else ("ipv6" if ":" in peer.host else "ipv4"),
        "services": f"{peer.services:016x}",
        "servicesnames": _services_names(peer.services),
        "relaytxes": peer.relay_txes,
        "lastsend": peer.last_send,
        "lastrecv": peer.last_recv,
        "last_transaction": peer.last_tx_time,
        "last_block": peer.last_block_time,
        "bytessent": peer.bytes_sent,
        "bytesrecv": peer.bytes_recv,
        "conntime": int(peer.connected_at),
        "timeoffset": peer.time_offset,
    }
    if peer.ping_time is not None:
        info["pingtime"] = round(peer.ping_time, 6)
    if peer.min_ping is not None:
        info["minping"] = round(peer.min_ping, 6)
    if peer.ping_nonce:
        info["pingwait"] = round(mockable_now() - peer.ping_start, 6)
    info.update({
        "version": peer.version,
        "subver": peer.subver,
        "inbound": peer.inbound,
        "addnode": peer.conn_type == "manual",
        "masternode": False,
    })
    if deprecated_banscore:
        info["banscore"] = peer.misbehavior
    info.update({
        "startingheight": peer.start_height,
        "synced_headers": peer.synced_headers,
        "synced_blocks": peer.synced_blocks,
        "inflight": [],
        "addr_relay_enabled": peer.addr_relay_enabled,
        "addr_processed": peer.addr_processed,
        "addr_rate_limited": peer.addr_rate_limited,
        "permissions": _permissions(peer),
        "bytessent_per_msg": dict(sorted(peer.bytes_sent_per_msg.items())),
        "bytesrecv_per_msg": dict(sorted(peer.bytes_recv_per_msg.items())),
        "connection_type": peer.conn_type,
        "transport_protocol_type": "v1",
        "session_id": "",
    })
    return info


@method("getpeerinfo", "network", description="Returns data about each connected network node as a json array of objects.")
def getpeerinfo(ctx, req):
    connman = _connman(ctx)
    banscore = "banscore" in ctx.args.get_list("deprecatedrpc")
    out = []
    for peer in sorted(connman.snapshot(), key=lambda q: q.id):
        if peer.disconnect:
            continue
        info = _peer_json(peer, banscore)
        lookup = connman.manager._lookup if connman.manager else None
        if lookup is not None:
            info["inflight"] = sorted(n.height for n in (lookup(h) for h in list(peer.in_flight)) if n is not None)
        out.append(info)
    return out


@method("getconnectioncount", "network", description="Returns the number of connections to other nodes.")
def getconnectioncount(ctx, req):
    return sum(1 for q in _connman(ctx).snapshot() if not q.disconnect)


@method("getnetworkinfo", "network", description="Returns an object containing various state info regarding P2P networking.")
def getnetworkinfo(ctx, req):
    connman = getattr(ctx, "connman", None)
    peers = [q for q in connman.snapshot() if not q.disconnect] if connman else []
    inbound = sum(1 for q in peers if q.inbound)
    local = [{"address": h, "port": port, "score": 1} for h, port in (connman.listen_addresses if connman else [])
             if not ipaddress.ip_address(h).is_unspecified]
    return {
        "version": 230102,
        "buildversion": f"v{p2p.CLIENT_VERSION}-python",
        "subversion": p2p.user_agent(ctx.args.get_list("uacomment")),
        "protocolversion": protocol.PROTOCOL_VERSION,
        "localservices": f"{protocol.LOCAL_SERVICES:016x}",
        "localservicesnames": _services_names(protocol.LOCAL_SERVICES),
        "localrelay": True,
        "timeoffset": 0,
        "networkactive": bool(connman and connman.network_active),
        "connections": len(peers),
        "connections_in": inbound,
        "connections_out": len(peers) - inbound,
        "connections_mn": 0,
        "connections_mn_in": 0,
        "connections_mn_out": 0,
        "socketevents": "select",
        "networks": [{"name": n, "limited": n not in ("ipv4", "ipv6"), "reachable": n in ("ipv4", "ipv6"),
                      "proxy": "", "proxy_randomize_credentials": False} for n in ("ipv4", "ipv6", "onion", "i2p",
                                                                                  "cjdns")],
        "relayfee": to_decimal(1000),
        "incrementalfee": to_decimal(1000),
        "localaddresses": local,
        "warnings": "",
    }


@method("addnode", "network", [Arg("node", "str", help="The address of the peer to connect to"),
                               Arg("command", "str", help="'add' to add a node to the list, 'remove' to remove a node "
                                   "from the list, 'onetry' to try a connection to the node once"),
                               Arg("v2transport", "bool", False, False, hidden=True)],
        "Attempts to add or remove a node from the addnode list.\nOr try a connection to a node once.")
def addnode(ctx, req, node, command, v2transport):
    if command not in ("add", "remove", "onetry"):
        raise RPCError(RPC_MISC_ERROR, addnode_help())
    connman = _connman(ctx)
    if command == "onetry":
        connman.connect(node, "manual")
        return None
    if command == "add":
        if not connman.add_node(node):
            raise RPCError(RPC_CLIENT_NODE_ALREADY_ADDED, "Error: Node already added")
    elif not connman.remove_added_node(node):
        raise RPCError(RPC_CLIENT_NODE_NOT_ADDED, "Error: Node could not be removed. It has not been added previously.")
    return None


def addnode_help() -> str:
    return next(m for m in table.methods if m.name == "addnode").help_text()


@method("disconnectnode", "network", [Arg("address", "str", False, help="The IP address/port of the node"),
                                      Arg("nodeid", "any", False, help="The node ID (see getpeerinfo for node IDs)")],
        "Immediately disconnects from the specified peer node.\n"
        "Strictly one out of 'address' and 'nodeid' can be provided to identify the node.\n"
        "To disconnect by nodeid, either set 'address' to the empty string, or call using the named 'nodeid' argument "
        "only.")
def disconnectnode(ctx, req, address, nodeid):
    connman = _connman(ctx)
    # nodeid is typed only once it is the one chosen, as Dash does: giving both is a params error first.
    if address is not None and nodeid is None:
        peer = connman.find_by_addr(address)
    elif nodeid is not None and not address:
        if not isinstance(nodeid, int) or isinstance(nodeid, bool):
            raise RPCError(RPC_TYPE_ERROR, f"JSON value of type {json_type_name(nodeid)} is not of expected type number")
        peer = connman.find(nodeid)
    else:
        raise RPCError(RPC_INVALID_PARAMS, "Only one of address and nodeid should be provided.")
    if peer is None or peer.disconnect:
        raise RPCError(RPC_CLIENT_NODE_NOT_CONNECTED, "Node not found in connected nodes")
    connman.disconnect_peer(peer, "disconnectnode")
    return None


@method("getaddednodeinfo", "network", [Arg("node", "str", False, help="If provided, return information about this "
                                            "specific node, otherwise all nodes are returned.")],
        "Returns information about the given added node, or all added nodes\n(note that onetry addnodes are not listed here)")
def getaddednodeinfo(ctx, req, node):
    connman = _connman(ctx)
    with connman.lock:
        added = list(connman.added)
    if node is not None:
        if node not in added:
            raise RPCError(RPC_CLIENT_NODE_NOT_ADDED, "Error: Node has not been added.")
        added = [node]
    out = []
    for a in added:
        peer = connman.find_by_addr(a)
        entry = {"addednode": a, "connected": peer is not None, "addresses": []}
        if peer is not None:
            entry["addresses"] = [{"address": peer.addr, "connected": "inbound" if peer.inbound else "outbound"}]
        out.append(entry)
    return out


@method("ping", "network", description="Requests that a ping be sent to all other nodes, to measure ping time.\n"
        "Results provided in getpeerinfo, pingtime and pingwait fields are decimal seconds.")
def ping(ctx, req):
    connman = _connman(ctx)
    for peer in connman.snapshot():
        peer.ping_requested = True
    if connman.manager is not None:
        connman.manager.wake()
    return None


@method("setnetworkactive", "network", [Arg("state", "bool", help="true to enable networking, false to disable")],
        "Disable/enable all p2p network activity.")
def setnetworkactive(ctx, req, state):
    connman = _connman(ctx)
    connman.set_network_active(state)
    return connman.network_active


@method("getnettotals", "network", description="Returns information about network traffic, including bytes in, bytes "
        "out,\nand current time.")
def getnettotals(ctx, req):
    connman = _connman(ctx)
    return {"totalbytesrecv": connman.total_recv, "totalbytessent": connman.total_sent,
            "timemillis": int(time.time() * 1000),
            "uploadtarget": {"timeframe": 86400, "target": 0, "target_reached": False,
                             "serve_historical_blocks": True, "bytes_left_in_cycle": 0, "time_left_in_cycle": 0}}


@method("setban", "network", [Arg("subnet", "str", help="The IP/Subnet (see getpeerinfo for nodes IP) with an optional "
                                  "netmask (default is /32 = single IP)"),
                              Arg("command", "str", help="'add' to add an IP/Subnet to the list, 'remove' to remove an "
                                  "IP/Subnet from the list"),
                              Arg("bantime", "int", False, 0, help="time in seconds how long (or until when if "
                                  "[absolute] is set) the IP is banned (0 or empty means using the default time of 24h)"),
                              Arg("absolute", "bool", False, False, help="If set, the bantime must be an absolute "
                                  "timestamp expressed in UNIX epoch time")],
        "Attempts to add or remove an IP/Subnet from the banned list.")
def setban(ctx, req, subnet, command, bantime, absolute):
    if command not in ("add", "remove"):
        raise RPCError(RPC_MISC_ERROR, next(m for m in table.methods if m.name == "setban").help_text())
    connman = _connman(ctx)
    try:
        text = subnet.strip()
        host, _ = split_host_port(text.split("/")[0], 0)
        net = parse_subnet(host + ("/" + text.split("/", 1)[1] if "/" in text else ""))
    except ValueError:
        raise RPCError(RPC_CLIENT_INVALID_IP_OR_SUBNET, "Error: Invalid IP/Subnet") from None
    if command == "add":
        if connman.banman.is_banned_subnet(net) or ("/" not in text and connman.banman.is_banned(host)):
            raise RPCError(RPC_CLIENT_NODE_ALREADY_ADDED, "Error: IP/Subnet already banned")
        if absolute and bantime and bantime < clock.get_time():
            raise RPCError(RPC_INVALID_PARAMETER, "Error: Absolute timestamp is in the past")
        connman.ban(net, bantime, absolute)
    elif not connman.banman.unban(net):
        raise RPCError(RPC_CLIENT_INVALID_IP_OR_SUBNET, "Error: Unban failed. Requested address/subnet was not "
                       "previously manually banned.")
    return None


@method("listbanned", "network", description="List all manually banned IPs/Subnets.")
def listbanned(ctx, req):
    now = clock.get_time()
    return [{"address": subnet_text(net), "ban_created": created, "banned_until": until,
             "ban_duration": until - created, "time_remaining": until - now}
            for net, created, until in _connman(ctx).banman.banned()]


@method("clearbanned", "network", description="Clear all banned IPs.")
def clearbanned(ctx, req):
    _connman(ctx).banman.clear()
    return None


@method("getnodeaddresses", "network", [Arg("count", "int", False, 1, help="The maximum number of addresses to return. "
                                            "Specify 0 to return all known addresses."),
                                        Arg("network", "str", False, help="Return only addresses of the specified "
                                            "network. Can be one of: ipv4, ipv6, onion, i2p, cjdns.")],
        "Return known addresses, after filtering for quality and recency.\n"
        "These can potentially be used to find new peers in the network.\n"
        "The total number of addresses known to the node may be higher.")
def getnodeaddresses(ctx, req, count, network):
    connman = _connman(ctx)
    if count < 0:
        raise RPCError(RPC_INVALID_PARAMETER, "Address count out of range")
    if network is not None and network not in _NETWORKS:
        raise RPCError(RPC_INVALID_PARAMETER, f"Network not recognized: {network}")
    banman = connman.banman
    addrs = connman.addrman.get_addresses(clock.get_time(), count, 0, network,
                                          lambda host: banman.is_banned(host) or banman.is_discouraged(host))
    return [{"time": a.time, "services": a.address.services, "address": a.address.host, "port": a.address.port,
             "network": network_of(a.address.host)} for a in addrs]


@method("addpeeraddress", "hidden", [Arg("address", "str", help="The IP address of the peer"),
                                     Arg("port", "int", help="The port of the peer"),
                                     Arg("tried", "bool", False, False, help="If true, attempt to add the peer to the "
                                         "tried addresses table")],
        "Add the address of a potential peer to the address manager. This RPC is for testing only.", hidden=True)
def addpeeraddress(ctx, req, address, port, tried):
    connman = _connman(ctx)
    try:
        host = str(ipaddress.ip_address(address))
    except ValueError:
        return {"success": False}
    if not 0 <= port <= 0xFFFF:
        raise RPCError(RPC_TYPE_ERROR, "JSON integer out of range")
    entry = protocol.TimedAddress(clock.get_time(), protocol.NetAddress(protocol.NODE_NETWORK, host, port))
    return {"success": connman.addrman.add([entry]) == 1}
