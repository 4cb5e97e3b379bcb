"""Move CamVid to a machine that a transfer limit keeps small, losslessly.

``pack SRC DEST_A DEST_B DEST_C``: every frame of ``SRC`` (SegNet layout) re-encoded as lossless
WebP (about 30% smaller than the PNGs), labels copied as they are, split over three folders that
each fit one transfer of 64 MiB beside the repository: A holds training frames up to 60 MB, B the
rest of train and val, C test. Each folder has a manifest of the SHA-256 of every decoded frame's
pixels. ``unpack DEST DIR...``: the folders back into the SegNet layout under ``DEST/CamVid`` as
PNG, every frame's pixels checked against the manifest (exit 1 on any difference), so the frames
trained on are bit-for-bit CamVid's.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

CAP_A = 60e6  # bytes of part A (a transfer is 64 MiB, the repository travels with it)


def _pixels_hash(image: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(image).tobytes()).hexdigest()


def _encode(path: Path) -> tuple[bytes, str]:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    ok, buf = cv2.imencode(".webp", image, [cv2.IMWRITE_WEBP_QUALITY, 101])  # >100: lossless
    assert ok and np.array_equal(cv2.imdecode(buf, cv2.IMREAD_COLOR), image), path
    return buf.tobytes(), _pixels_hash(image)


def pack(src: Path, dest_a: Path, dest_b: Path, dest_c: Path) -> None:
    frames = [
        (split, p)
        for split in ("train", "val", "test")
        for p in sorted((src / split).glob("*.png"))
    ]
    with ThreadPoolExecutor(4) as pool:
        encoded = list(pool.map(lambda item: _encode(item[1]), frames))
    manifests: dict[Path, dict] = {dest_a: {}, dest_b: {}, dest_c: {}}
    used_a = 0
    for (split, path), (data, digest) in zip(frames, encoded):
        label = src / f"{split}annot" / path.name
        if split == "test":
            dest = dest_c
        elif split == "train" and used_a + len(data) + label.stat().st_size <= CAP_A:
            dest = dest_a
            used_a += len(data) + label.stat().st_size
        else:
            dest = dest_b
        (dest / split).mkdir(parents=True, exist_ok=True)
        (dest / f"{split}annot").mkdir(parents=True, exist_ok=True)
        (dest / split / f"{path.stem}.webp").write_bytes(data)
        shutil.copy2(label, dest / f"{split}annot" / path.name)
        manifests[dest][f"{split}/{path.name}"] = digest
    for dest, manifest in manifests.items():
        (dest / "manifest.json").write_text(json.dumps(manifest, indent=0, sort_keys=True))


def unpack(dest: Path, folders: list[Path]) -> int:
    out = dest / "CamVid"
    bad = 0
    for folder in folders:
        manifest = json.loads((folder / "manifest.json").read_text())
        for annot in folder.glob("*annot"):
            shutil.copytree(annot, out / annot.name, dirs_exist_ok=True)

        def one(item: tuple[str, str], folder: Path = folder) -> bool:
            rel, digest = item
            split, name = rel.split("/")
            image = cv2.imread(str(folder / split / (Path(name).stem + ".webp")), cv2.IMREAD_COLOR)
            (out / split).mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(out / split / name), image)
            return image is not None and _pixels_hash(image) == digest

        with ThreadPoolExecutor(16) as pool:
            results = list(pool.map(one, sorted(manifest.items())))
        bad += results.count(False)
        print(f"{folder}: {len(results)} frames, {results.count(False)} differ from CamVid")
    return 1 if bad else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["pack"] and len(sys.argv) == 6:
        pack(*map(Path, sys.argv[2:]))
    elif sys.argv[1:2] == ["unpack"] and len(sys.argv) >= 4:
        sys.exit(unpack(Path(sys.argv[2]), [Path(p) for p in sys.argv[3:]]))
    else:
        sys.exit(__doc__)
