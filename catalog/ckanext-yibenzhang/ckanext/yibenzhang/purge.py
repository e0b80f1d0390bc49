"""Uploaded files do not outlive a purged dataset (issue 10).

`dataset_purge` removes the package from the database and the index only; the files of its
uploaded resources stay in CKAN's storage (`ckan.storage_path/resources/…`). Our publisher
purges core and withdrawn-for-good resources, so their open-data CSVs must go with them.
"""

from __future__ import annotations

import contextlib
import logging
import os
from typing import Any

from ckan.plugins import toolkit

log = logging.getLogger(__name__)


def uploaded_resource_ids(package_ref: str) -> list[str]:
    from ckan import model

    package = model.Package.get(package_ref)
    if package is None:
        return []
    rows = model.Session.query(model.Resource.id).filter(
        model.Resource.package_id == package.id, model.Resource.url_type == "upload")
    return [row[0] for row in rows]


def remove_upload(resource_id: str) -> None:
    """Remove the stored file of one resource, whichever uploader CKAN is configured with."""
    from ckan.lib import files, uploader

    upload = uploader.get_resource_uploader({"id": resource_id})
    storage = getattr(upload, "storage", None)
    if storage is not None and not isinstance(storage, str):  # ckan.files storage (FKResourceUpload)
        with contextlib.suppress(files.exc.MissingFileError):
            storage.remove(files.FileData(upload.get_path(resource_id)))
        return
    if getattr(upload, "storage_path", None) is None:
        return  # uploads are not configured: nothing stored
    path = upload.get_path(resource_id)
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)
    # The two levels of directories (id[0:3]/id[3:6]) go too once empty.
    directory = os.path.dirname(path)
    for _ in range(2):
        try:
            os.rmdir(directory)
        except OSError:
            break
        directory = os.path.dirname(directory)


@toolkit.chained_action
def dataset_purge(original: Any, context: dict[str, Any], data_dict: dict[str, Any]) -> Any:
    resource_ids = uploaded_resource_ids(str(data_dict.get("id") or ""))
    result = original(context, data_dict)  # checks access and purges; raises before we touch files
    for resource_id in resource_ids:
        try:
            remove_upload(resource_id)
        except OSError as error:
            log.error("purged dataset %s: the file of resource %s could not be removed: %s",
                      data_dict.get("id"), resource_id, error)
    return result
