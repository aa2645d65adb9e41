"""The node: block storage, validation, mempool, mining and the Chain/Node interfaces it serves."""
