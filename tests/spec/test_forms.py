"""docs/forms.md names only fields that exist, and gives every CO field a place.

Every backticked path such as ``CertificateOfOrigin.goods_items[i].hs_code`` or
``ImportOutcome.new_state = IMPORT_STATE_ACCEPTED`` is resolved against the descriptors of
the generated ``wco.eco.v1`` stubs; enum values and flag values must fit the field.
"""

from __future__ import annotations

import re

import pytest
from google.protobuf import descriptor
from google.protobuf import descriptor_pool as pool_module

# Importing the modules registers their descriptors in the default pool.
from wco.eco.v1 import (  # noqa: F401
    certificate_pb2,
    envelope_pb2,
    lifecycle_pb2,
    verification_pb2,
)

from ._scripts import ROOT

FORMS = (ROOT / "docs" / "forms.md").read_text(encoding="utf-8")
PACKAGE = "wco.eco.v1"
PATH = re.compile(r"`([A-Z][A-Za-z]+(?:\.[a-z_]+(?:\[i\])?)+)(?: = ([A-Za-z_0-9]+))?`")
ENUM_VALUE = re.compile(r"`((?:ORIGIN_CRITERION_TYPE|TARIFF_SHIFT|IMPORT_STATE)_[A-Z_]+)`")
POOL = pool_module.Default()
FieldRef = tuple[str, str]


def _resolve(path: str, value: str | None) -> list[FieldRef]:
    """Walk ``path`` through the descriptors; return every (message, field) it passes."""
    root, *steps = path.split(".")
    message = POOL.FindMessageTypeByName(f"{PACKAGE}.{root}")
    touched: list[FieldRef] = []
    field: descriptor.FieldDescriptor | None = None
    for index, step in enumerate(steps):
        assert message is not None, f"{path}: {step} follows a scalar"
        name = step.removesuffix("[i]")
        field = message.fields_by_name.get(name)
        assert field is not None, f"{path}: {message.full_name} has no field {name}"
        # "[i]" marks a repeated field; only the last step may name a whole list.
        if step.endswith("[i]"):
            assert field.is_repeated, f"{path}: {name} is not repeated"
        else:
            assert not field.is_repeated or index == len(steps) - 1, f"{path}: {name}[i]"
        touched.append((message.full_name, name))
        message = field.message_type
    assert field is not None
    if value is not None:
        if field.enum_type is not None:
            assert value in field.enum_type.values_by_name, f"{path} = {value}"
        elif field.type == descriptor.FieldDescriptor.TYPE_BOOL:
            assert value == "true", f"{path} = {value}"
        else:
            pytest.fail(f"{path} = {value}: only enum and bool fields take a value")
    return touched


def _all_paths() -> list[tuple[str, str | None]]:
    return [(m.group(1), m.group(2)) for m in PATH.finditer(FORMS)]


def test_forms_doc_names_many_paths() -> None:
    assert len(_all_paths()) > 300


@pytest.mark.parametrize(("path", "value"), sorted(set(_all_paths()), key=str))
def test_path_exists(path: str, value: str | None) -> None:
    _resolve(path, value)


def test_named_enum_values_exist() -> None:
    names = set(ENUM_VALUE.findall(FORMS))
    assert names
    known = {
        value.name
        for enum in (
            certificate_pb2.OriginCriterionType,
            certificate_pb2.TariffShift,
            lifecycle_pb2.ImportState,
        )
        for value in enum.DESCRIPTOR.values
    }
    assert names <= known, names - known


@pytest.mark.parametrize(
    "section",
    [
        "## Form AK (Korea-ASEAN FTA",
        "## Form D (ATIGA",
        "## Form E (ACFTA",
        "## RCEP certificate of origin",
        "## Korea-China FTA certificate of origin",
    ],
)
def test_each_form_maps_its_numbered_boxes_and_official_use(section: str) -> None:
    start = FORMS.index(section)
    end = FORMS.find("\n## ", start + 1)
    body = FORMS[start : end if end != -1 else len(FORMS)]
    boxes = {int(m.group(1)) for m in re.finditer(r"^\| (\d+) \|", body, re.M)}
    # Box numbers run 1..n without gaps.
    assert boxes == set(range(1, max(boxes) + 1))
    assert max(boxes) >= 13
    assert "certificate_number" in body
    assert "ImportOutcome.new_state" in body
    assert "CertificateFlags" in body


def test_every_certificate_field_has_a_place() -> None:
    touched: set[FieldRef] = set()
    for path, value in _all_paths():
        touched.update(_resolve(path, value))
    for message in (
        certificate_pb2.CertificateOfOrigin,
        certificate_pb2.GoodsItem,
        certificate_pb2.CertificateFlags,
        certificate_pb2.TransportDetails,
        certificate_pb2.ExporterDeclaration,
        certificate_pb2.Certification,
        certificate_pb2.OriginCriterion,
        lifecycle_pb2.ImportOutcome,
    ):
        full_name = message.DESCRIPTOR.full_name
        missing = {f.name for f in message.DESCRIPTOR.fields if (full_name, f.name) not in touched}
        assert not missing, f"{full_name}: {sorted(missing)}"
