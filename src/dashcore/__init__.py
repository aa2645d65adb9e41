"""dashcore: a Dash regtest node and wallet, in one process (dashd) or split over mpipc."""
