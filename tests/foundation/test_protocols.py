"""One protocol per service: every method is a real boto3 operation, implemented by the local backend under the
same name with a CloudTrail eventName equal to the AWS operation name."""

from __future__ import annotations

import importlib

import pytest

from awsmon.backends.local import SERVICES
from awsmon.backends.protocols import PROTOCOLS


def _protocol_methods(proto: type) -> list[str]:
    return sorted(n for n, v in vars(proto).items() if callable(v) and not n.startswith("_"))


@pytest.mark.parametrize("service", sorted(PROTOCOLS))
def test_protocol_matches_botocore_and_local(service: str) -> None:
    import botocore.session
    from botocore import xform_name

    model = botocore.session.get_session().get_service_model(service)
    boto_ops = {xform_name(op): op for op in model.operation_names}
    module, _, cls_name = SERVICES[service].partition(":")
    local = getattr(importlib.import_module(module), cls_name)
    methods = _protocol_methods(PROTOCOLS[service])
    assert methods
    for method in methods:
        assert method in boto_ops, f"{service}.{method} is not a boto3 operation"
        impl = getattr(local, method, None)
        assert impl is not None, f"local {service} lacks {method}"
        assert getattr(impl, "__awsmon_op__", None) == boto_ops[method], f"{method} records the wrong eventName"


def test_every_local_operation_is_in_a_protocol() -> None:
    extensions = {"lookup_events_all", "count_log_events"}  # awsmon extensions: several attributes, counting
    for service, target in SERVICES.items():
        module, _, cls_name = target.partition(":")
        local = getattr(importlib.import_module(module), cls_name)
        ops = {n for n in dir(local) if hasattr(getattr(local, n, None), "__awsmon_op__")} - extensions
        assert ops == set(_protocol_methods(PROTOCOLS[service])), service
