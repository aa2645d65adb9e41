"""The wallet: keys, transactions and balances in one sqlite file per wallet; sees the node only through Chain."""
