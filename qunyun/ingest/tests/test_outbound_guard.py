"""The outbound guard (qunyun/outbound.py): the forum sync — and every channel after it —
calls public addresses only, unless QUNYUN_OUTBOUND_ALLOW lists a host or network; the
check holds at connection time, for redirects and for names that resolve differently."""

from __future__ import annotations

import socket
import threading
import urllib.error
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from qunyun.ingest.models import ImportRun
from qunyun.ingest.platforms.discourse.client import DiscourseClient, DiscourseSyncError
from qunyun.ingest.platforms.discourse.tests.forum_server import API_KEY, FakeForum, serve
from qunyun.outbound import OutboundRefused, check_url, guarded_opener
from qunyun.settings import env_outbound_allow
from qunyun.workspaces.models import Workspace


@pytest.fixture(autouse=True)
def nothing_allowed(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.OUTBOUND_ALLOW = []
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def forum() -> Iterator[FakeForum]:
    with serve(FakeForum()) as running:
        yield running


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/posts.json",
        "http://localhost/",
        "http://10.1.2.3/",
        "http://172.16.0.9/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://[::1]/",
        "http://[fe80::1]/",
        "http://[fd00::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://224.0.0.1/",
    ],
)
def test_internal_addresses_are_refused(url: str) -> None:
    with pytest.raises(OutboundRefused, match="an internal address"):
        check_url(url)


@pytest.mark.parametrize("url", ["ftp://example.com/", "file:///etc/passwd", "http:///x"])
def test_only_http_addresses_are_called(url: str) -> None:
    with pytest.raises(OutboundRefused, match="not an http:// or https:// address"):
        check_url(url)


def test_a_public_address_passes() -> None:
    check_url("https://93.184.216.34/posts.json")  # a literal: no DNS needed


@pytest.mark.parametrize(
    ("allowed", "url"),
    [
        (["127.0.0.1"], "http://127.0.0.1:9/"),
        (["localhost"], "http://localhost:9/"),
        (["10.0.0.0/8"], "http://10.20.30.40/"),
        (["fd00::/8"], "http://[fd00::5]/"),
    ],
)
def test_the_allow_list_opens_hosts_and_networks(
    settings: Any, allowed: list[str], url: str
) -> None:
    settings.OUTBOUND_ALLOW = allowed

    check_url(url)


def test_a_network_not_listed_stays_closed(settings: Any) -> None:
    settings.OUTBOUND_ALLOW = ["10.0.0.0/16"]

    with pytest.raises(OutboundRefused):
        check_url("http://10.1.0.1/")


def test_the_sync_never_sends_the_key_to_an_internal_address(
    db: None, forum: FakeForum, capsys: Any
) -> None:
    with pytest.raises(CommandError) as caught:
        call_command(
            "sync", "discourse", url=forum.url, workspace="forum", api_key=API_KEY,
            no_progress=True,
        )  # fmt: skip

    assert "an internal address" in str(caught.value)
    assert "QUNYUN_OUTBOUND_ALLOW" in str(caught.value)
    assert forum.requests == []  # not one request: the key went nowhere
    assert not Workspace.objects.exists()


def test_a_name_that_turns_internal_after_the_check_is_refused_at_connection(
    forum: FakeForum, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name is public when checked, loopback when dialled."""
    port = int(forum.url.rsplit(":", 1)[1])
    answers = iter(["93.184.216.34", "127.0.0.1"])
    real = socket.getaddrinfo

    def rebinding(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "forum.example.com":
            address = next(answers, "127.0.0.1")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    client = DiscourseClient(f"http://forum.example.com:{port}", API_KEY, max_retries=0)

    with pytest.raises(DiscourseSyncError, match="an internal address"):
        client.get_json("/posts.json")

    assert forum.requests == []


class _Redirecting(BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.seen.append(self.path)
        port = self.server.server_address[1]
        self.send_response(302)
        self.send_header("Location", f"http://127.0.0.1:{port}/internal")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def test_a_redirect_is_checked_again(settings: Any) -> None:
    settings.OUTBOUND_ALLOW = ["localhost"]  # the name, not the address behind it
    _Redirecting.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirecting)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        with pytest.raises((OutboundRefused, urllib.error.URLError)) as caught:
            guarded_opener().open(f"http://localhost:{server.server_address[1]}/start", timeout=5)
    finally:
        server.shutdown()
        server.server_close()

    assert "an internal address" in str(caught.value)
    assert _Redirecting.seen == ["/start"]  # /internal was never asked for


def test_the_import_page_refuses_an_internal_forum_address_at_once(
    client: Any, alice: Any, workspace: Workspace
) -> None:
    client.force_login(alice)

    response = client.post(
        reverse("imports", args=["acme"]),
        {"action": "discourse", "url": "http://169.254.169.254/", "api_key": "k",
         "api_username": "system"},
    )  # fmt: skip

    assert response.status_code == 200
    assert "an internal address" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_a_bad_allow_list_stops_start_up_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUNYUN_OUTBOUND_ALLOW", "forum.internal, 10.0.0.0/33")

    with pytest.raises(ImproperlyConfigured, match=r"QUNYUN_OUTBOUND_ALLOW: '10.0.0.0/33'"):
        env_outbound_allow("QUNYUN_OUTBOUND_ALLOW")

    monkeypatch.setenv("QUNYUN_OUTBOUND_ALLOW", "forum.internal, 10.0.0.0/8 ,127.0.0.1")
    assert env_outbound_allow("QUNYUN_OUTBOUND_ALLOW") == [
        "forum.internal", "10.0.0.0/8", "127.0.0.1"
    ]  # fmt: skip
