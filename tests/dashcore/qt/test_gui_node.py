"""The Node the GUI holds in dash-gui: a dash-node spawned with -ipcfd, started and stopped through the
Node interface; its wallets (in the dash-wallet that dash-node spawns) reached through Node.wallet_loader()."""

from __future__ import annotations

import json

import mpipc
import pytest

from dashcore.init.options import DASHD_OPTIONS
from dashcore.interfaces import InterfaceError
from dashcore.ipc import process
from dashcore.util.args import ArgsManager
from tests.dashcore.framework import free_port
from tests.waiting import alive, wait_until


def _args(datadir) -> ArgsManager:
    args = ArgsManager(DASHD_OPTIONS)
    args.parse_command_line(["-regtest", f"-datadir={datadir}", f"-rpcport={free_port()}", f"-port={free_port()}",
                             "-server=0"])
    args.read_config_file(args.datadir())
    args.select_chain()
    return args


@pytest.fixture
def spawned_node(tmp_path):
    spawned = process.spawn("dash-node", _args(tmp_path))
    yield spawned
    spawned.close(timeout=20)


def test_spawned_node_starts_serves_wallets_and_stops(spawned_node):
    node = spawned_node.init.make_node()
    messages: list[str] = []
    node.handle_init_message(messages.append)
    node.app_init_main()
    assert messages[0] == "Loading block index..." and messages[-1] == "Done loading"
    tips: list[int] = []
    node.handle_notify_block_tip(lambda height, block_hash: tips.append(height))
    loader = node.wallet_loader()
    wallet = loader.create_wallet("w1", False, False, True)
    changed: list[bytes] = []
    wallet.handle_transaction_changed(changed.append)
    address = wallet.get_new_destination("")
    hashes = json.loads(node.execute_rpc("generatetoaddress", json.dumps([101, address]), "/"))
    assert len(hashes) == 101
    assert wallet.get_balances().balance == 500 * 10**8
    assert wait_until(lambda: len(tips) == 101 and len(changed) >= 101, timeout=30)
    prepared = wallet.prepare_transaction(address, 10**8, False)
    assert prepared.amount == 10**8 and 0 < prepared.fee < 10**5 and len(prepared.txid) == 32
    with pytest.raises(InterfaceError, match="Insufficient funds"):
        wallet.prepare_transaction(address, 10**12, False)
    with pytest.raises(InterfaceError):
        wallet.prepare_transaction("yNotAnAddress", 10**8, False)
    wallet.commit_transaction(prepared.tx)
    info = node.get_node_info()
    assert (info.network, info.num_blocks, info.mempool_size) == ("regtest", 101, 1)
    assert info.data_dir.endswith("regtest") and info.client_version
    assert [w.get_wallet_name() for w in loader.get_wallets()] == ["w1"]
    node.app_shutdown()
    assert spawned_node.close(timeout=20) == 0


def test_spawned_node_exits_when_its_gui_goes(spawned_node):
    node = spawned_node.init.make_node()
    node.app_init_main()
    spawned_node.connection.close()
    assert wait_until(lambda: not alive(spawned_node.pid), timeout=30)


def test_a_start_up_error_reaches_the_gui(tmp_path):
    (tmp_path / "regtest").mkdir()
    (tmp_path / "regtest" / "settings.json").write_text("{not json")
    spawned = process.spawn("dash-node", _args(tmp_path))
    try:
        node = spawned.init.make_node()
        with pytest.raises(InterfaceError):
            node.app_init_main()
        with pytest.raises((InterfaceError, mpipc.RemoteError, mpipc.Disconnected)):
            node.get_num_blocks()
    finally:
        spawned.close(timeout=20)
