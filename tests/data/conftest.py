"""Fixtures for the data tests: every file is made under tmp_path, nothing is downloaded."""

from __future__ import annotations

import functools
import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from aekit.data.idx import write_idx
from aekit.data.mnist import FILES

N_FAKE = {"train": 30, "test": 10}


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads the user's cache or data folder, or reaches the network."""
    cache = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.delenv("AEKIT_DATA", raising=False)
    monkeypatch.setenv("AEKIT_MNIST_MIRROR", "http://127.0.0.1:9/nowhere/")  # discard port: refused
    return cache


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def write_fake_mnist(folder: Path, seed: int = 0) -> dict[str, str]:
    """Write the four canonical files with a few random 28x28 digits; return {name: md5}."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    sums = {}
    for split, (images, labels) in FILES.items():
        n = N_FAKE[split]
        write_idx(folder / images, rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8))
        write_idx(folder / labels, (np.arange(n) % 10).astype(np.uint8))
        sums[images], sums[labels] = md5(folder / images), md5(folder / labels)
    return sums


@pytest.fixture
def make_fake_mnist():
    """The writer of fake MNIST folders, for tests that need more than one."""
    return write_fake_mnist


@pytest.fixture
def fake_mnist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, str]]:
    """A folder with fake MNIST files whose md5s are made the official ones for the test."""
    from aekit.data import mnist

    folder = tmp_path / "fake-mnist"
    sums = write_fake_mnist(folder)
    monkeypatch.setitem(mnist.MD5, "mnist", dict(sums))
    monkeypatch.setitem(mnist.MD5, "fashion-mnist", dict(sums))
    return folder, sums


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - signature of the base
        pass


@pytest.fixture
def http_root(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A local HTTP server on 127.0.0.1 serving a temp folder; yields (folder, base URL)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
