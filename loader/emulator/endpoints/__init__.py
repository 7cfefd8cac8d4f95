"""One module per endpoint family (accounts, metrics, profiles, events, control), each listing its
routes in `ROUTES`; `loader.emulator.routes` registers them."""
