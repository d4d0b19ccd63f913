import shutil
import socket
from pathlib import Path

import numpy as np
import pytest

from aekit.data import mnist
from aekit.data.mnist import ALL_FILES, FILES, cache_dir, load_mnist
from aekit.errors import DataFileError, InputError

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"  # shared/ sits beside the checkout, here and in CI


def _dead_url() -> str:
    with socket.socket() as s:  # bind, read the port, close: nobody listens there afterwards
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.name.endswith(".tmp")] if folder.exists() else []


def test_found_in_root(fake_mnist: tuple[Path, dict]) -> None:
    folder, _ = fake_mnist
    ds = load_mnist("train", root=folder, download=False)
    assert ds.X.shape == (30, 1, 28, 28) and ds.X.dtype == np.float32
    assert ds.y.dtype == np.int64 and ds.y.tolist() == [i % 10 for i in range(30)]
    assert 0.0 <= ds.X.min() and ds.X.max() <= 1.0 and ds.X.max() > 0.99
    assert ds.image_shape == (1, 28, 28) and ds.name == "mnist"
    assert len(load_mnist("test", root=folder, download=False)) == 10


def test_found_in_root_kind_subfolder_before_root(tmp_path: Path, fake_mnist: tuple[Path, dict]) -> None:
    folder, _ = fake_mnist
    shutil.copytree(folder, tmp_path / "data" / "fashion-mnist")
    ds = load_mnist("test", root=tmp_path / "data", download=False, kind="fashion-mnist", verify=False)
    assert ds.name == "fashion-mnist" and len(ds) == 10


def test_uncompressed_files_are_accepted(tmp_path: Path, fake_mnist: tuple[Path, dict]) -> None:
    from aekit.data.idx import read_idx, write_idx

    folder, _ = fake_mnist
    plain = tmp_path / "plain"
    for name in FILES["test"]:
        write_idx(plain / name[:-3].replace("-idx", ".idx"), read_idx(folder / name))  # dotted spelling
    ds = load_mnist("test", root=plain, download=False, verify=False)
    assert len(ds) == 10


def test_found_via_aekit_data(monkeypatch: pytest.MonkeyPatch, fake_mnist: tuple[Path, dict]) -> None:
    folder, _ = fake_mnist
    monkeypatch.setenv("AEKIT_DATA", str(folder))
    assert len(load_mnist("train", download=False)) == 30


def test_found_in_xdg_cache(isolated_env: Path, fake_mnist: tuple[Path, dict]) -> None:
    folder, _ = fake_mnist
    shutil.copytree(folder, isolated_env / "aekit" / "mnist")
    assert cache_dir("mnist") == isolated_env / "aekit" / "mnist"
    assert len(load_mnist("test", download=False)) == 10


def test_cache_defaults_to_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_dir("fashion-mnist") == tmp_path / ".cache" / "aekit" / "fashion-mnist"


def test_found_file_with_wrong_checksum_is_refused(tmp_path: Path, fake_mnist: tuple[Path, dict]) -> None:
    folder, _ = fake_mnist
    with open(folder / "t10k-labels-idx1-ubyte.gz", "ab") as f:
        f.write(b"x")
    with pytest.raises(DataFileError, match=r"t10k-labels-idx1-ubyte.gz has md5 .*verify=False"):
        load_mnist("test", root=folder, download=False)


def test_label_count_must_match_image_count(tmp_path: Path, make_fake_mnist) -> None:
    from aekit.data.idx import write_idx

    folder = tmp_path / "m"
    make_fake_mnist(folder)
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.zeros(9, dtype=np.uint8))
    with pytest.raises(DataFileError, match=r"9 labels but .* 10 images"):
        load_mnist("test", root=folder, download=False, verify=False)


def test_not_found_without_download(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match=r"not found \(searched .*download=False.*t10k-images-idx3-ubyte.gz"):
        load_mnist("test", download=False)


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"kind must be one of 'mnist', 'fashion-mnist'; got 'kmnist'"):
        load_mnist(kind="kmnist")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="split must be one of"):
        load_mnist("valid")  # type: ignore[arg-type]
    with pytest.raises(DataFileError, match="root folder .* does not exist"):
        load_mnist(root=tmp_path / "typo")


# --- downloads, from a local HTTP server -------------------------------------------------------


def test_download_lands_in_cache(http_root, fake_mnist, isolated_env: Path) -> None:
    www, url = http_root
    folder, _ = fake_mnist
    shutil.copytree(folder, www / "m1")
    ds = load_mnist("train", mirrors=[url + "m1/"])
    assert len(ds) == 30
    cached = isolated_env / "aekit" / "mnist"
    assert sorted(p.name for p in cached.iterdir()) == sorted(FILES["train"])
    assert (cached / "train-images-idx3-ubyte.gz").read_bytes() == (folder / "train-images-idx3-ubyte.gz").read_bytes()
    shutil.rmtree(www / "m1")  # a second load needs no server
    assert len(load_mnist("train", mirrors=[url + "m1/"])) == 30


def test_mirror_from_environment(http_root, fake_mnist, monkeypatch: pytest.MonkeyPatch) -> None:
    www, url = http_root
    shutil.copytree(fake_mnist[0], www / "env")
    monkeypatch.setenv("AEKIT_MNIST_MIRROR", f"{_dead_url()}, {url}env")
    assert len(load_mnist("test")) == 10


def test_bad_first_mirror_falls_back_to_second(http_root, fake_mnist, isolated_env: Path) -> None:
    www, url = http_root
    folder, _ = fake_mnist
    shutil.copytree(folder, www / "good")
    (www / "bad").mkdir()
    for name in FILES["test"]:
        (www / "bad" / name).write_bytes(b"<html>not the file</html>")
    ds = load_mnist("test", mirrors=[url + "bad/", url + "good/"])
    assert len(ds) == 10
    assert _leftovers(isolated_env) == []


def test_wrong_checksum_everywhere_is_an_error(http_root, fake_mnist, isolated_env: Path) -> None:
    www, url = http_root
    folder, _ = fake_mnist
    shutil.copytree(folder, www / "m")
    with open(www / "m" / "t10k-images-idx3-ubyte.gz", "ab") as f:
        f.write(b"tampered")
    with pytest.raises(DataFileError, match=r"t10k-images-idx3-ubyte.gz \(md5 [0-9a-f]{32}, expected"):
        load_mnist("test", mirrors=[url + "m/"])
    assert not (isolated_env / "aekit" / "mnist" / "t10k-images-idx3-ubyte.gz").exists()
    assert _leftovers(isolated_env) == []


def test_truncated_download_is_an_error(http_root, fake_mnist, monkeypatch, isolated_env: Path) -> None:
    www, url = http_root
    folder, sums = fake_mnist
    shutil.copytree(folder, www / "m")
    cut = www / "m" / "t10k-images-idx3-ubyte.gz"
    cut.write_bytes(cut.read_bytes()[:-100])
    with pytest.raises(DataFileError, match=r"Could not download.*t10k-images-idx3-ubyte.gz.*md5"):
        load_mnist("test", mirrors=[url + "m/"])
    # Even when the md5 is not checked, a truncated file never lands in the cache.
    with pytest.raises(DataFileError, match=r"Could not download.*truncated"):
        load_mnist("test", mirrors=[url + "m/"], verify=False)
    assert not (isolated_env / "aekit" / "mnist" / "t10k-images-idx3-ubyte.gz").exists()
    assert _leftovers(isolated_env) == []


def test_corrupt_cached_file_is_downloaded_again(http_root, fake_mnist, isolated_env: Path) -> None:
    www, url = http_root
    folder, _ = fake_mnist
    shutil.copytree(folder, www / "m")
    cached = isolated_env / "aekit" / "mnist"
    shutil.copytree(folder, cached)
    (cached / "t10k-images-idx3-ubyte.gz").write_bytes(b"half a file")
    assert len(load_mnist("test", mirrors=[url + "m/"])) == 10
    assert (cached / "t10k-images-idx3-ubyte.gz").read_bytes() == (folder / "t10k-images-idx3-ubyte.gz").read_bytes()


def test_offline_message_lists_mirrors_folder_and_files(http_root, fake_mnist, isolated_env: Path) -> None:
    _, url = http_root
    dead = _dead_url()
    with pytest.raises(DataFileError) as info:
        load_mnist("train", mirrors=[dead, url + "missing/"])
    message = str(info.value)
    assert dead in message and url + "missing/" in message and "404" in message
    assert str(isolated_env / "aekit" / "mnist") in message and "AEKIT_DATA" in message
    for name in ALL_FILES:
        assert name in message
    assert _leftovers(isolated_env) == []


def test_default_mirrors_are_canonical() -> None:
    assert mnist.MIRRORS["mnist"][0] == "https://ossci-datasets.s3.amazonaws.com/mnist/"
    assert "http://yann.lecun.com/exdb/mnist/" in mnist.MIRRORS["mnist"]
    assert mnist.MIRRORS["fashion-mnist"] == ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)


# --- the real files ----------------------------------------------------------------------------

COUNTS = {
    ("mnist", "train"): [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
    ("mnist", "test"): [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
    ("fashion-mnist", "train"): [6000] * 10,
    ("fashion-mnist", "test"): [1000] * 10,
}


@pytest.mark.skipif(not (SHARED / "mnist").is_dir() or not (SHARED / "fashion-mnist").is_dir(),
                    reason="shared MNIST files not present")
def test_real_files_match_the_published_statistics() -> None:
    means = {("mnist", "train"): 0.130660, ("mnist", "test"): 0.132515,
             ("fashion-mnist", "train"): 0.286041, ("fashion-mnist", "test"): 0.286849}
    for (kind, split), counts in COUNTS.items():
        ds = load_mnist(split, root=SHARED, download=False, kind=kind)  # type: ignore[arg-type]
        assert ds.X.shape == (sum(counts), 1, 28, 28)
        assert np.bincount(ds.y).tolist() == counts
        assert float(ds.X.mean(dtype=np.float64)) == pytest.approx(means[kind, split], abs=1e-6)
