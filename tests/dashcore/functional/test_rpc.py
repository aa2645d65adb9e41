"""The JSON-RPC surface over HTTP: protocol forms, auth, errors of bad input, chain queries, reorgs, multiwallet."""

from __future__ import annotations

import base64
import json
import os
from decimal import Decimal

from dashcore import address, script
from dashcore.crypto import base58
from dashcore.crypto.hashes import hash160
from dashcore.crypto.keys import PrivateKey
from dashcore.primitives.transaction import OutPoint, Transaction, TxIn, TxOut

from ..framework import assert_raises_rpc_error

GENESIS = "000008ca1832a4baf228eb1553c03d3a2c8e02399550dd6ea8d65cec3ef23d2e"


def test_genesis_and_blocks(node):
    rpc = node.rpc
    assert rpc.getblockhash(0) == GENESIS
    header = rpc.getblockheader(GENESIS)
    assert header["height"] == 0 and header["time"] == 1417713337 and header["nonce"] == 1096447
    assert header["merkleroot"] == "e0028eb9648db56b1ac77cf090b99048a8007e2bb64b68f092c03c7f56a662c7"
    info = rpc.getblockchaininfo()
    assert info["chain"] == "regtest"
    start = rpc.getblockcount()
    addr = rpc.validateaddress(address.from_pubkey_hash(b"\x11" * 20))
    assert addr["isvalid"] is True
    hashes = rpc.generatetoaddress(2, addr["address"])
    assert rpc.getblockcount() == start + 2
    block = rpc.getblock(hashes[0])
    assert block["height"] == start + 1 and block["nextblockhash"] == hashes[1] and len(block["tx"]) == 1
    coinbase = rpc.getrawtransaction(block["tx"][0], True)
    assert coinbase["blockhash"] == hashes[0] and coinbase["confirmations"] == 2
    assert coinbase["vout"][0]["value"] == Decimal("500")
    assert coinbase["vout"][0]["scriptPubKey"]["address"] == addr["address"]
    raw = rpc.getblock(hashes[1], 0)
    assert raw.startswith(rpc.getblockheader(hashes[1], False))
    assert rpc.getblock(hashes[1], 2)["tx"][0]["txid"] == rpc.getblock(hashes[1])["tx"][0]
    assert rpc.submitblock(raw) == "duplicate"
    assert_raises_rpc_error(-5, "Block not found", rpc.getblock, "00" * 32)
    assert_raises_rpc_error(-8, "Block height out of range", rpc.getblockhash, 10 ** 6)


def _post(node, body, auth=None, path="/"):
    status, headers, data = node.rpc.post(json.dumps(body).encode() if not isinstance(body, bytes) else body,
                                          auth, path)
    return status, headers, (json.loads(data) if data else None)


def test_protocol_forms_and_auth(node):
    status, headers, reply = _post(node, {"method": "getblockcount", "params": [], "id": 7})
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert set(reply) == {"result", "error", "id"} and reply["error"] is None and reply["id"] == 7
    status, _, reply = _post(node, {"jsonrpc": "2.0", "method": "getblockcount", "id": "x"})
    assert status == 200 and set(reply) == {"jsonrpc", "result", "id"} and reply["id"] == "x"
    status, _, reply = _post(node, {"jsonrpc": "2.0", "method": "nosuchmethod", "id": 1})
    assert status == 200 and reply == {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": 1}
    status, _, reply = _post(node, {"version": "1.1", "method": "nosuchmethod", "id": 1})
    assert status == 404 and reply == {"result": None, "error": {"code": -32601, "message": "Method not found"}, "id": 1}
    status, _, reply = _post(node, {"jsonrpc": "2.0", "method": "getblockcount"})
    assert status == 204 and reply is None
    status, _, reply = _post(node, [{"method": "getblockcount", "id": 1}, {"method": "echo", "params": ["a"], "id": 2}])
    assert status == 200 and [r["id"] for r in reply] == [1, 2] and reply[1]["result"] == ["a"]
    status, _, reply = _post(node, b"{not json")
    assert status == 500 and reply["error"]["code"] == -32700
    status, _, reply = _post(node, {"method": "getblockcount", "params": 3, "id": 1})
    assert status == 400 and reply["error"]["code"] == -32600
    wrong = "Basic " + base64.b64encode(b"__cookie__:wrong").decode()
    status, headers, _ = _post(node, {"method": "getblockcount", "id": 1}, auth=wrong)
    assert status == 401 and "WWW-Authenticate" in headers
    rpc = node.rpc
    assert rpc.echo(arg0=0, arg3=9) == [0, None, None, 9]
    assert_raises_rpc_error(-8, "Unknown named parameter nosuch", rpc.echo, nosuch=1)
    assert_raises_rpc_error(-8, "Parameter arg1 specified twice both as positional and named argument",
                            rpc.call, "echo", 0, 1, arg1=1)
    assert rpc.help("getblockchaininfo").startswith("getblockchaininfo\n")
    listing = rpc.help()
    assert "== Blockchain ==" in listing and "== Wallet ==" in listing and "\ngetblockhash height\n" in listing
    assert rpc.getmempoolinfo()["loaded"] is True


def test_bad_input(node):
    rpc = node.rpc
    rpc.createwallet("bad")
    w = node.wallet("bad")
    assert_raises_rpc_error(-3, "JSON value of type string is not of expected type number", rpc.getblockhash, "1")
    assert_raises_rpc_error(-1, "getblockhash height", rpc.getblockhash)
    assert_raises_rpc_error(-5, "Invalid Dash address", w.sendtoaddress, "notanaddress", 1)
    assert_raises_rpc_error(-6, "Insufficient funds", w.sendtoaddress, w.getnewaddress(), 1)
    assert_raises_rpc_error(-3, "Invalid amount for send", w.sendtoaddress, w.getnewaddress(), 0)
    assert_raises_rpc_error(-3, "Invalid amount", w.sendtoaddress, w.getnewaddress(), Decimal("0.000000001"))
    assert_raises_rpc_error(-5, "Error: Invalid address", rpc.generatetoaddress, 1, "yNotAnAddress")
    assert_raises_rpc_error(-22, "TX decode failed", rpc.sendrawtransaction, "00ff")
    assert_raises_rpc_error(-18, "Requested wallet does not exist or is not loaded", node.wallet("nope").getbalance)
    assert_raises_rpc_error(-5, "Invalid or non-wallet transaction id", w.gettransaction, "11" * 32)
    assert_raises_rpc_error(-8, "txid must be of length 64", w.gettransaction, "11")
    # DecodeDestination's reasons: a good checksum with a mainnet prefix, and no address at all
    mainnet = base58.encode_check(bytes([76]) + bytes(20))
    assert rpc.validateaddress(mainnet) == {"isvalid": False, "error": "Invalid prefix for Base58-encoded address"}
    assert rpc.validateaddress("asfah14i8fajz0123f") == {"isvalid": False, "error": "Invalid address format"}
    assert "error" not in rpc.validateaddress(w.getnewaddress())
    assert_raises_rpc_error(-5, "Invalid prefix for Base58-encoded address", w.getaddressinfo, mainnet)
    assert_raises_rpc_error(-5, "Invalid address format", w.getaddressinfo, "asfah14i8fajz0123f")


def test_multiwallet(node):
    rpc = node.rpc
    rpc.createwallet("m1")
    rpc.createwallet("m2", load_on_startup=True)
    assert {"m1", "m2"} <= set(rpc.listwallets())
    assert_raises_rpc_error(-19, "Wallet file not specified", rpc.getbalance)
    assert_raises_rpc_error(-4, "Database already exists", rpc.createwallet, "m1")
    assert_raises_rpc_error(-35, "is already loaded", rpc.loadwallet, "m1")
    a1 = node.wallet("m1").getnewaddress()
    assert node.wallet("m1").getaddressinfo(a1)["ismine"] is True
    assert node.wallet("m2").getaddressinfo(a1)["ismine"] is False
    assert rpc.unloadwallet("m1") == {"warning": ""}
    assert "m1" not in rpc.listwallets()
    assert_raises_rpc_error(-18, "Requested wallet does not exist or is not loaded", node.wallet("m1").getbalance)
    assert rpc.loadwallet("m1")["name"] == "m1"
    assert node.wallet("m1").getaddressinfo(a1)["ismine"] is True
    assert {"m1", "m2"} <= {w["name"] for w in rpc.listwalletdir()["wallets"]}
    assert_raises_rpc_error(-18, "Path does not exist", rpc.loadwallet, "never-created")
    with open(os.path.join(node.net_dir, "settings.json")) as f:
        assert "m2" in json.load(f)["wallet"]
    node.wallet("m2").unloadwallet(load_on_startup=False)
    with open(os.path.join(node.net_dir, "settings.json")) as f:
        assert "m2" not in json.load(f)["wallet"]


def _fund(node, name: str) -> tuple:
    """A wallet with one mature 500 DASH coinbase; (its client, its address)."""
    node.rpc.createwallet(name)
    w = node.wallet(name)
    addr = w.getnewaddress()
    node.rpc.generatetoaddress(1, addr)
    node.rpc.generatetoaddress(100, address.from_pubkey_hash(b"\x22" * 20))
    assert w.getbalance() == Decimal("500")
    return w, addr


def test_double_spend_and_premature_spend_rejected(node):
    rpc = node.rpc
    w, addr = _fund(node, "ds")
    coin = w.listunspent()[0]
    key = PrivateKey.from_wif(w.dumpprivkey(addr))
    spk = address.to_script(addr)

    def spend(to: bytes, value: int) -> str:
        unsigned = Transaction((TxIn(OutPoint(bytes.fromhex(coin["txid"])[::-1], coin["vout"])),),
                               (TxOut(value, to),))
        signed = Transaction((TxIn(unsigned.vin[0].prevout, script.sign_p2pkh(unsigned, 0, key, spk)),),
                             unsigned.vout)
        return signed.serialize().hex()

    first = spend(address.to_script(address.from_pubkey_hash(b"\x33" * 20)), 499_99900000)
    second = spend(address.to_script(address.from_pubkey_hash(b"\x44" * 20)), 499_99800000)
    txid = rpc.sendrawtransaction(first)
    assert rpc.sendrawtransaction(first) == txid  # already in the mempool: not an error
    assert_raises_rpc_error(-26, "txn-mempool-conflict", rpc.sendrawtransaction, second)
    assert rpc.getrawmempool() == [txid]
    # the wallet saw its coin spent through the notifications
    assert w.getbalances()["mine"]["trusted"] == 0
    rpc.generatetoaddress(1, address.from_pubkey_hash(b"\x22" * 20))
    assert_raises_rpc_error(-25, "bad-txns-inputs-missingorspent", rpc.sendrawtransaction, second)
    # a coinbase of the tip cannot be spent yet
    tip_cb = rpc.getblock(rpc.getbestblockhash())["tx"][0]
    premature = Transaction((TxIn(OutPoint(bytes.fromhex(tip_cb)[::-1], 0)),), (TxOut(1, spk),))
    assert_raises_rpc_error(-26, "bad-txns-premature-spend-of-coinbase", rpc.sendrawtransaction,
                            premature.serialize().hex())


def test_reorg_with_invalidateblock(node):
    rpc = node.rpc
    w, _ = _fund(node, "reorg")
    rpc.createwallet("reorg-to")
    to = node.wallet("reorg-to")
    txid = w.sendtoaddress(to.getnewaddress(), 5)
    other = address.from_pubkey_hash(b"\x55" * 20)
    [blockhash] = rpc.generatetoaddress(1, other)
    height = rpc.getblockcount()
    assert to.getbalance() == 5
    rpc.invalidateblock(blockhash)
    assert rpc.getblockcount() == height - 1
    assert rpc.getrawmempool() == [txid]
    assert to.getbalances()["mine"] == {"trusted": 0, "untrusted_pending": Decimal("5"), "immature": 0,
                                        "coinjoin": 0}
    assert to.gettransaction(txid)["confirmations"] == 0
    # a longer fork without the transaction wins; the transaction goes back to the mempool
    fork = [rpc.generateblock(other, [])["hash"] for _ in range(2)]
    assert rpc.getbestblockhash() == fork[-1]
    assert txid not in rpc.getblock(fork[0])["tx"] and rpc.getrawmempool() == [txid]
    tips = {t["hash"]: t["status"] for t in rpc.getchaintips()}
    assert tips[fork[-1]] == "active" and tips[blockhash] == "invalid"
    rpc.reconsiderblock(blockhash)  # less work than the fork: stays on the fork
    assert rpc.getbestblockhash() == fork[-1]
    assert {t["hash"]: t["status"] for t in rpc.getchaintips()}[blockhash] == "valid-fork"
    rpc.generatetoaddress(1, other)
    assert rpc.getrawmempool() == [] and to.getbalance() == 5
    assert to.gettransaction(txid)["confirmations"] == 1


def test_sign_and_verify_message(node):
    rpc = node.rpc
    rpc.createwallet("signer")
    w = node.wallet("signer")
    addr, other = w.getnewaddress(), w.getnewaddress()
    signature = w.signmessage(addr, "hello")
    assert rpc.verifymessage(addr, signature, "hello") is True
    assert rpc.verifymessage(addr, signature, "hello!") is False
    assert rpc.verifymessage(other, signature, "hello") is False
    wif = w.dumpprivkey(addr)
    assert rpc.signmessagewithprivkey(wif, "hello") == signature  # deterministic (RFC 6979)
    p2sh = address.from_script_hash(b"\x01" * 20)
    assert_raises_rpc_error(-3, "Address does not refer to key", rpc.verifymessage, p2sh, signature, "hello")
    assert_raises_rpc_error(-3, "Address does not refer to key", w.signmessage, p2sh, "hello")
    assert_raises_rpc_error(-5, "Invalid address", rpc.verifymessage, "nonsense", signature, "hello")
    assert_raises_rpc_error(-5, "Invalid address", w.signmessage, "nonsense", "hello")
    assert_raises_rpc_error(-3, "Malformed base64 encoding", rpc.verifymessage, addr, "not base64!", "hello")
    assert_raises_rpc_error(-5, "Invalid private key", rpc.signmessagewithprivkey, "nonsense", "hello")
    assert_raises_rpc_error(-4, "Private key not available", w.signmessage,
                            address.from_pubkey_hash(b"\x02" * 20), "hello")


def test_decodescript(node):
    rpc = node.rpc
    p2pkh = script.p2pkh(b"\x11" * 20)
    out = rpc.decodescript(p2pkh.hex())
    assert out["type"] == "pubkeyhash" and out["address"] == address.from_pubkey_hash(b"\x11" * 20)
    assert out["p2sh"] == address.from_script_hash(hash160(p2pkh)) and "hex" not in out
    assert out["desc"].startswith(f"addr({out['address']})#")
    p2sh = rpc.decodescript(script.p2sh(b"\x22" * 20).hex())
    assert p2sh["type"] == "scripthash" and "p2sh" not in p2sh  # no P2SH of a P2SH
    assert rpc.decodescript("")["asm"] == "" and rpc.decodescript("")["type"] == "nonstandard"
    assert_raises_rpc_error(-8, "argument must be hexadecimal string", rpc.decodescript, "zz")
