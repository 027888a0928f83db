"""The web-UI address of an MLflow run, for each kind of tracking store that has a UI."""

from __future__ import annotations

import configparser
import os
import re
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

AZURE_ML_STUDIO = "https://ml.azure.com"

_AZUREML_WORKSPACE = re.compile(
    r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
    r"/providers/Microsoft\.MachineLearningServices/workspaces/(?P<ws>[^/?#]+)",
    re.IGNORECASE,
)


def _http_run_url(tracking_uri: str, experiment_id: str, run_id: str) -> str:
    parts = urlsplit(tracking_uri)
    base = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
    return f"{base}/#/experiments/{experiment_id}/runs/{run_id}"


def _azureml_run_url(tracking_uri: str, experiment_id: str, run_id: str) -> str | None:
    match = _AZUREML_WORKSPACE.search(urlsplit(tracking_uri).path)
    if match is None:
        return None
    wsid = (
        f"/subscriptions/{match['sub']}/resourcegroups/{match['rg']}"
        f"/providers/Microsoft.MachineLearningServices/workspaces/{match['ws']}"
    )
    return (
        f"{AZURE_ML_STUDIO}/experiments/id/{experiment_id}/runs/{run_id}"
        f"?wsid={quote(wsid, safe='/')}"
    )


def _databricks_host(profile: str | None) -> str | None:
    """``DATABRICKS_HOST``, else the profile's ``host`` in the Databricks CLI config file."""
    host = os.environ.get("DATABRICKS_HOST")
    if host and profile is None:
        return host
    config_file = Path(os.environ.get("DATABRICKS_CONFIG_FILE", "~/.databrickscfg")).expanduser()
    parser = configparser.ConfigParser()
    try:
        parser.read(config_file, encoding="utf-8")
    except (OSError, configparser.Error):
        return host
    section = profile or "DEFAULT"
    if section == "DEFAULT":
        return parser.defaults().get("host") or host
    if parser.has_section(section):
        return parser.get(section, "host", fallback=None) or host
    return host


def _databricks_run_url(tracking_uri: str, experiment_id: str, run_id: str) -> str | None:
    profile = None
    if tracking_uri.startswith("databricks://"):
        # databricks://<profile> or databricks://<scope>:<prefix> (secret-scope form)
        profile = tracking_uri[len("databricks://") :].split(":", 1)[0] or None
    host = _databricks_host(profile)
    if not host:
        return None
    if "://" not in host:
        host = f"https://{host}"
    return f"{host.rstrip('/')}/#mlflow/experiments/{experiment_id}/runs/{run_id}"


def get_mlflow_run_url(tracking_uri: str | None, experiment_id: str, run_id: str) -> str | None:
    """The UI address of run ``run_id`` in experiment ``experiment_id``, or None.

    - ``http(s)://host[:port][/prefix]`` (an MLflow server): ``{base}/#/experiments/{e}/runs/{r}``
    - ``azureml://<region>.api.azureml.ms/mlflow/v1.0/subscriptions/.../workspaces/<ws>``:
      the run's page in Azure ML studio (``https://ml.azure.com/experiments/id/...``)
    - ``databricks`` / ``databricks://<profile>``: ``{host}/#mlflow/experiments/{e}/runs/{r}``,
      the host from ``DATABRICKS_HOST`` or the profile in ``~/.databrickscfg`` (None if unknown)
    - local stores (a path, ``file:``, ``sqlite:``) and other database URIs have no UI: None
    """
    if not tracking_uri or not experiment_id or not run_id:
        return None
    uri = tracking_uri.strip()
    scheme = urlsplit(uri).scheme.lower()
    if scheme in {"http", "https"}:
        return _http_run_url(uri, experiment_id, run_id)
    if scheme == "azureml":
        return _azureml_run_url(uri, experiment_id, run_id)
    if uri == "databricks" or scheme == "databricks":
        return _databricks_run_url(uri, experiment_id, run_id)
    return None
