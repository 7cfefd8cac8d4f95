"""A fast, faithful emulator of the Klaviyo API endpoints the loader reads (metrics, profiles, events).

    from loader.emulator import Emulator, EmulatorConfig, FaultConfig
    with Emulator(EmulatorConfig(seed=1)).serve() as server:
        ...  # GET f"{server.base_url}/api/events" with Klaviyo-API-Key auth and a revision header
"""

from loader.emulator.config import EmulatorConfig, FaultConfig, StreetAddress
from loader.emulator.emulator import Emulator, serve_accounts
from loader.emulator.server import EmulatorServer

__all__ = ["Emulator", "EmulatorConfig", "EmulatorServer", "FaultConfig", "StreetAddress", "serve_accounts"]
