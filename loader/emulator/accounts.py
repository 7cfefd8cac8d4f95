"""Several emulator accounts from one configuration (the CLI's `--accounts N`, the tests' make_accounts)."""

from __future__ import annotations

from dataclasses import replace

from loader.emulator.config import EmulatorConfig

ACCOUNT_NAMES = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa")


def account_name(index: int) -> str:
    """alpha, beta, ... kappa, then account11, account12, ..."""
    return ACCOUNT_NAMES[index] if index < len(ACCOUNT_NAMES) else f"account{index + 1}"


def several_accounts(base: EmulatorConfig, n: int) -> list[tuple[str, EmulatorConfig]]:
    """(name, config) of n accounts whose ids collide: all share `base.id_seed` (or `base.seed`), while
    account i has seed `base.seed + i` (its own content and derived account id), key
    `<base.api_key>_<name>` and organisation "<Name> Emulator Store". With n == 1, `base` itself."""
    if n < 1:
        raise ValueError(f"the number of accounts must be at least 1, got {n}")
    if n == 1:
        return [(account_name(0), base)]
    id_seed = base.effective_id_seed
    out = []
    for i in range(n):
        name = account_name(i)
        out.append((name, replace(base, seed=base.seed + i, id_seed=id_seed, api_key=f"{base.api_key}_{name}",
                                  account_id="", organization_name=f"{name.capitalize()} Emulator Store")))
    return out


def env_lines(base_url: str, accounts: list[tuple[str, str]]) -> list[str]:
    """The shell lines that point the loader at the served accounts: (name, api_key) pairs."""
    lines = [f"export KLAVIYO_BASE_URL={base_url}"]
    lines += [f"export SOURCES__KLAVIYO__ACCOUNTS__{name.upper()}__API_KEY={key}" for name, key in accounts]
    return lines
