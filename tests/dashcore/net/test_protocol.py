"""The P2P message codec without sockets: framing, checksum, size limit, every message type both ways."""

from __future__ import annotations

import struct

import pytest

from dashcore import chainparams
from dashcore.node.net import protocol as p
from dashcore.primitives.transaction import OutPoint, Transaction, TxIn, TxOut

GENESIS = chainparams.GENESIS
TX = Transaction((TxIn(OutPoint(b"\x11" * 32, 3), b"\x51", 0xFFFFFFFE),), (TxOut(12345, b"\x76\xa9"),), locktime=7)

SAMPLES = [
    p.Version(p.PROTOCOL_VERSION, p.LOCAL_SERVICES, 1_700_000_000, p.NetAddress(1, "127.0.0.1", 19899),
              p.NetAddress(p.LOCAL_SERVICES, "::1", 0), 0x1122334455667788, "/Dash Core:23.1.2(testnode0)/", 42, True,
              b"\x07" * 32, False),
    p.Verack(), p.GetAddr(), p.MempoolRequest(), p.SendHeaders(),
    p.Ping(0xDEADBEEF), p.Pong(2**64 - 1),
    p.Addr([p.TimedAddress(1_700_000_000, p.NetAddress(1, "10.1.2.3", 8333)),
            p.TimedAddress(5, p.NetAddress(0, "2001:db8::1", 1))]),
    p.AddrV2([p.TimedAddress(1_700_000_000, p.NetAddress(1 << 40, "10.1.2.3", 8333)),
              p.TimedAddress(5, p.NetAddress(0, "2001:db8::1", 1))]),
    p.SendAddrV2(),
    p.InvMessage([p.Inv(p.MSG_TX, b"\x01" * 32), p.Inv(p.MSG_BLOCK, b"\x02" * 32)]),
    p.GetData([p.Inv(p.MSG_BLOCK, GENESIS.hash)]),
    p.NotFound([p.Inv(p.MSG_TX, b"\x03" * 32)]),
    p.GetHeaders([GENESIS.hash, b"\x04" * 32], b"\x05" * 32),
    p.GetBlocks([GENESIS.hash], b"\0" * 32),
    p.Headers([GENESIS.header, GENESIS.header]),
    p.BlockMessage(GENESIS),
    p.TxMessage(TX),
]


def test_every_message_type_has_a_sample():
    assert sorted({type(m).command for m in SAMPLES}) == p.COMMANDS


@pytest.mark.parametrize("msg", SAMPLES, ids=lambda m: m.command)
def test_round_trip_through_the_reader(msg):
    wire = msg.to_bytes()
    assert wire[:4] == bytes.fromhex("fcc1b7dc")
    assert wire[4:16].rstrip(b"\0").decode() == msg.command
    assert struct.unpack("<I", wire[16:20])[0] == len(wire) - 24
    reader = p.MessageReader()
    # byte by byte: the reader keeps partial headers and payloads
    out = [m for b in range(len(wire)) for m in reader.feed(wire[b:b + 1])]
    assert len(out) == 1 and out[0].valid and out[0].command == msg.command
    decoded = p.decode(out[0])
    if isinstance(msg, p.BlockMessage):
        assert decoded.block == msg.block
    else:
        assert decoded == msg
    assert decoded.serialize() == msg.serialize()


def test_several_messages_in_one_read():
    wire = p.Ping(1).to_bytes() + p.Verack().to_bytes() + p.Pong(1).to_bytes()
    assert [m.command for m in p.MessageReader().feed(wire)] == ["ping", "verack", "pong"]


def test_pong_is_32_bytes_on_the_wire():
    assert len(p.Pong(7).to_bytes()) == 32  # what Dash's framework waits for (bytesrecv_per_msg['pong'] >= 29)


def test_checksum_is_double_sha256():
    assert p.frame("verack")[20:24] == bytes.fromhex("5df6e0e2")  # sha256d("")[:4]


def test_bad_checksum_gives_an_invalid_message_and_the_stream_goes_on():
    wire = bytearray(p.Ping(5).to_bytes())
    wire[20] ^= 0xFF
    out = p.MessageReader().feed(bytes(wire) + p.Pong(5).to_bytes())
    assert [(m.command, m.valid) for m in out] == [("ping", False), ("pong", True)]
    assert out[0].error == f"Header error: Wrong checksum (ping, 8 bytes), expected {p.checksum(wire[24:]).hex()} " \
                           f"was {bytes(wire[20:24]).hex()}"


def test_wrong_magic_is_a_protocol_error_even_before_a_whole_header():
    with pytest.raises(p.ProtocolError, match="Header error: Wrong MessageStart 47455420 received"):
        p.MessageReader().feed(b"GET / HTTP/1.1\r\n")
    with pytest.raises(p.ProtocolError, match="Wrong MessageStart"):
        p.MessageReader().feed(bytes.fromhex("f9beb4d9") + p.Verack().to_bytes()[4:])  # Bitcoin's magic


def test_oversized_message_is_refused_from_its_header():
    head = p.MAGIC + b"block".ljust(12, b"\0") + struct.pack("<I", p.MAX_MESSAGE_SIZE + 1) + b"\0" * 4
    with pytest.raises(p.ProtocolError, match=r"Header error: Size too large \(block, 3145729 bytes\)"):
        p.MessageReader().feed(head)
    ok = p.MAGIC + b"block".ljust(12, b"\0") + struct.pack("<I", p.MAX_MESSAGE_SIZE) + b"\0" * 4
    assert p.MessageReader().feed(ok) == []  # waits for the payload


@pytest.mark.parametrize("command, shown", [(b"ver\0ack\0\0\0\0\0", "ver"), (b"\0" * 12, ""),
                                            (b"ping\x01" + b"\0" * 7, "ping")])
def test_malformed_message_type_is_dropped_and_the_stream_goes_on(command, shown):
    out = p.MessageReader().feed(p.MAGIC + command + struct.pack("<I", 1) + p.checksum(b"x") + b"x"
                                 + p.Pong(5).to_bytes())
    assert [(m.command, m.valid) for m in out] == [(shown, False), ("pong", True)]
    assert out[0].error == f"Header error: Invalid message type ({shown}, 1 bytes)"


def test_unknown_command_decodes_to_none():
    [raw] = p.MessageReader().feed(p.frame("senddsq", b"\x01"))
    assert raw.valid and p.decode(raw) is None


@pytest.mark.parametrize("msg, cut", [(p.Ping(1), 1), (p.GetHeaders([b"\1" * 32]), 5), (p.TxMessage(TX), 3)],
                         ids=["ping", "getheaders", "tx"])
def test_truncated_or_extended_payload_is_a_message_error(msg, cut):
    payload = msg.serialize()
    with pytest.raises(p.MessageError):
        type(msg).decode(payload[:-cut])
    with pytest.raises(p.MessageError):
        type(msg).decode(payload + b"\0")


def test_list_limits():
    too_many = p.compact_size(p.MAX_INV_SIZE + 1)
    with pytest.raises(p.MessageError, match="more than"):
        p.InvMessage.decode(too_many)
    with pytest.raises(p.MessageError, match="more than"):
        p.Headers.decode(p.compact_size(p.MAX_HEADERS_RESULTS + 1))
    with pytest.raises(p.MessageError, match="more than"):
        p.Addr.decode(p.compact_size(p.MAX_ADDR_TO_SEND + 1))


def test_headers_with_transactions_are_refused():
    with pytest.raises(p.MessageError):
        p.Headers.decode(b"\x01" + GENESIS.header.serialize() + b"\x01")


def test_version_without_dash_fields_or_relay_decodes():
    full = SAMPLES[0]
    bare = full.serialize()[:-(32 + 1 + 1)]  # no relay, no mnauth challenge, no masternode flag
    v = p.Version.decode(bare)
    assert (v.version, v.user_agent, v.start_height, v.relay) == (full.version, full.user_agent, 42, True)
    assert p.Version.decode(full.serialize() + b"future").nonce == full.nonce  # unknown trailing fields ignored


def test_frame_refuses_long_commands():
    with pytest.raises(ValueError):
        p.frame("x" * 13)


def test_long_locators_decode_for_the_node_to_judge():
    msg = p.GetHeaders([b"\x11" * 32] * (p.MAX_LOCATOR_SIZE + 1))
    assert p.GetHeaders.decode(msg.serialize()) == msg


def _addrv2_entry(network: int, raw: bytes, port: int = 9999) -> bytes:
    return struct.pack("<I", 7) + p.compact_size(1) + bytes([network]) + p.compact_size(len(raw)) + raw \
        + struct.pack(">H", port)


ONION = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion"
I2P = "c4gfnttsuwqomiygupdqqqyy5y5emnk5c73hrfvatri67prd7vyq.b32.i2p"


def test_addrv2_keeps_ip_tor_and_i2p_addresses_and_skips_other_networks():
    onion_key = p.special_bytes(ONION)[1]
    payload = p.compact_size(4) + _addrv2_entry(1, bytes([1, 2, 3, 4])) + _addrv2_entry(4, onion_key) \
        + _addrv2_entry(6, b"\xfc" + bytes(15)) + _addrv2_entry(2, bytes(15) + b"\x01")
    msg = p.AddrV2.decode(payload)
    assert [(a.address.host, a.address.port, a.address.services) for a in msg.addresses] == [
        ("1.2.3.4", 9999, 1), (ONION, 9999, 1), ("::1", 9999, 1)]
    both = p.AddrV2([p.TimedAddress(5, p.NetAddress(1, ONION, 9999)), p.TimedAddress(6, p.NetAddress(1, I2P, 0))])
    assert p.AddrV2.decode(both.serialize()) == both
    assert p.special_bytes(ONION[:-7] + "a.onion") is None and p.special_bytes("1.2.3.4") is None


@pytest.mark.parametrize("entry", [_addrv2_entry(1, bytes(5)), _addrv2_entry(4, bytes(31)),
                                   _addrv2_entry(9, bytes(p.MAX_ADDRV2_SIZE + 1))], ids=["ipv4", "tor", "too-long"])
def test_addrv2_with_a_wrong_address_size_is_a_message_error(entry):
    with pytest.raises(p.MessageError):
        p.AddrV2.decode(p.compact_size(1) + entry)
