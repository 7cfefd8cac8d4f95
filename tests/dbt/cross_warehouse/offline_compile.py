"""Offline `dbt compile` of the package for a warehouse nothing here can run (Redshift, Synapse).

Dummy credentials in the committed profiles.yml's env vars (`*.invalid` hosts), `--no-populate-cache
--no-introspect`, and the package's `klaviyo_offline_compile` var (is_incremental() -> false), so dbt
never connects. `compile_project` returns every compiled model and test; `render_macros` compiles
one inline query holding each probe and returns each probe's rendered SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loader.transform.dbt_invoke import DbtPaths, dbt_args, invoke_dbt
from loader.transform.dbt_project import find_dbt_project, profiles_dir

DUMMY_ENV = {
    "redshift": {"KLAVIYO_REDSHIFT_HOST": "redshift.invalid", "KLAVIYO_REDSHIFT_USER": "dummy",
                 "DBT_ENV_SECRET_KLAVIYO_REDSHIFT_PASSWORD": "dummy",
                 "KLAVIYO_REDSHIFT_DATABASE": "analytics"},
    "synapse": {"KLAVIYO_SYNAPSE_HOST": "synapse.invalid", "KLAVIYO_SYNAPSE_USER": "dummy",
                "DBT_ENV_SECRET_KLAVIYO_SYNAPSE_PASSWORD": "dummy", "KLAVIYO_SYNAPSE_DATABASE": "analytics"},
}
OFFLINE = ["--no-populate-cache", "--no-introspect"]
_MARKER = "-- probe:"


@dataclass(frozen=True)
class OfflineCompiler:
    target: str
    work_dir: Path
    variables: dict[str, Any] = field(default_factory=dict)  # more --vars (e.g. the marketing tables on)
    env: dict[str, str] = field(default_factory=dict)  # more env vars (e.g. KLAVIYO_DBT_TESTS_SINCE)

    def _invoke(self, command: list[str]) -> Any:
        project = find_dbt_project()
        paths = DbtPaths(project, profiles_dir(project), self.work_dir / "target", self.work_dir / "logs")
        args = dbt_args([*command, *OFFLINE], paths, target=self.target,
                        variables={"klaviyo_offline_compile": True, **self.variables})
        result = invoke_dbt(args, {**DUMMY_ENV[self.target], **self.env})
        if not result.success:
            raise AssertionError(f"dbt {command[0]} --target {self.target} failed: {result.exception!r}")
        return result

    def compile_project(self) -> dict[str, str]:
        """Every compiled model and data test: {path under target/compiled: SQL}."""
        self._invoke(["compile"])
        root = self.work_dir / "target" / "compiled"
        return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*.sql"))}

    def render_macros(self, probes: dict[str, str]) -> dict[str, str]:
        """{name: jinja expression} -> {name: the SQL it renders to on this target}."""
        inline = "\n".join(f"{_MARKER}{name}\n{{{{ {jinja} }}}}" for name, jinja in probes.items())
        result = self._invoke(["compile", "--inline", inline])
        compiled: str = result.result.results[0].node.compiled_code
        rendered = {}
        for chunk in compiled.split(_MARKER)[1:]:
            name, _, sql = chunk.partition("\n")
            rendered[name] = " ".join(sql.split())
        return rendered
