"""pytest plugin that runs the Python Durable Task SDK's end-to-end tests against a Perdure server.

The SDK's e2e tests start the SDK's own in-memory reference backend (``durabletask.testing``) on a
free port for each test. Loaded with ``-p perdure_backend``, this plugin points them at the Perdure
server named by PERDURE_GRPC_PORT instead: ``find_free_port`` answers that port, and
``create_test_backend`` empties the server's task hub (CreateTaskHub with recreateIfExists, which
the server serves only when started with ``taskHubManagement``) rather than starting a backend, so
that each test starts from an empty store as it would on a fresh reference backend.

It also adapts two things of the environment, neither of them Perdure's concern:
- the SDK's generated stubs pass ``_registered_method`` to channel methods, which grpcio releases
  before 1.62 (Debian 12 ships 1.51) do not accept: the keyword is dropped there;
- without pytest-asyncio, the ``async def`` tests are run on a fresh event loop each.
"""

import asyncio
import inspect
import os

import grpc
import grpc._channel
import grpc._interceptor
import pytest


def _without_registered_method(method):
    def call(self, name, *args, _registered_method=None, **kwargs):
        return method(self, name, *args, **kwargs)

    return call


def _adapt_old_grpcio():
    channels = [grpc._channel.Channel, grpc._interceptor._Channel]
    try:
        from grpc.aio import _channel as aio_channel

        channels.append(aio_channel.Channel)
    except ImportError:
        pass
    for channel in channels:
        for kind in ("unary_unary", "unary_stream", "stream_unary", "stream_stream"):
            method = getattr(channel, kind)
            if "_registered_method" not in inspect.signature(method).parameters:
                setattr(channel, kind, _without_registered_method(method))


_adapt_old_grpcio()

PORT = int(os.environ["PERDURE_GRPC_PORT"])


class PerdureBackend:
    """Stands in for the reference backend: the Perdure server, its task hub emptied."""

    def __init__(self, port=None, **_):
        from durabletask.internal import orchestrator_service_pb2 as pb
        from durabletask.internal import orchestrator_service_pb2_grpc as stubs

        with grpc.insecure_channel(f"localhost:{PORT}") as channel:
            stubs.TaskHubSidecarServiceStub(channel).CreateTaskHub(pb.CreateTaskHubRequest(recreateIfExists=True), timeout=30)

    def stop(self, grace=None):
        pass

    def reset(self):
        pass


def _point_tests_at_perdure():
    import durabletask.testing
    import tests.durabletask._port_utils as ports

    ports.find_free_port = lambda: PORT
    durabletask.testing.create_test_backend = PerdureBackend


_point_tests_at_perdure()

try:
    import pytest_asyncio  # noqa: F401

    HAVE_ASYNCIO_PLUGIN = True
except ImportError:
    HAVE_ASYNCIO_PLUGIN = False


def pytest_configure(config):
    config.addinivalue_line("markers", "asyncio: run the async test on an event loop")


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    if HAVE_ASYNCIO_PLUGIN or not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
    return True
