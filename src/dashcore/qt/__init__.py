"""The Qt wallet GUI (PySide6 Widgets) of dash-qt and dash-gui.

It sees the node only through a ``Node`` and the wallets only through the ``Wallet``
objects that ``Node.wallet_loader()`` gives, whether those live in this process (dash-qt)
or in dash-node and dash-wallet (dash-gui). Every call to them runs off the GUI thread
(``tasks``); their notifications arrive on other threads and reach the widgets as Qt
signals (``clientmodel``, ``walletmodel``).
"""
