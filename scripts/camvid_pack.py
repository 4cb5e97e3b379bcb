"""Move CamVid to a machine that a transfer limit keeps small, losslessly.

``pack SRC DEST_A DEST_B``: every frame of ``SRC`` (SegNet layout) re-encoded as lossless WebP
(about 30% smaller than the PNGs), labels copied as they are, split over two folders (train in
A; val and test in B) so that each fits one transfer, with a manifest of the SHA-256 of every
decoded image's pixels. ``unpack DEST DIR...``: the folders back into the SegNet layout under
``DEST/CamVid`` as PNG, every frame's pixels checked against the manifest (exit 1 on any
difference), so the frames trained on are bit-for-bit CamVid's.
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

PARTS = {"a": ("train",), "b": ("val", "test")}


def _pixels_hash(image: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(image).tobytes()).hexdigest()


def pack(src: Path, dest_a: Path, dest_b: Path) -> None:
    for part, dest in (("a", dest_a), ("b", dest_b)):
        manifest = {}
        for split in PARTS[part]:
            (dest / split).mkdir(parents=True, exist_ok=True)
            shutil.copytree(src / f"{split}annot", dest / f"{split}annot", dirs_exist_ok=True)
            frames = sorted((src / split).glob("*.png"))

            def one(path: Path, split=split) -> tuple[str, str]:
                image = cv2.imread(str(path), cv2.IMREAD_COLOR)
                ok, buf = cv2.imencode(".webp", image, [cv2.IMWRITE_WEBP_QUALITY, 101])
                assert ok and np.array_equal(cv2.imdecode(buf, cv2.IMREAD_COLOR), image)
                (dest / split / f"{path.stem}.webp").write_bytes(buf.tobytes())
                return f"{split}/{path.name}", _pixels_hash(image)

            with ThreadPoolExecutor(4) as pool:
                manifest.update(pool.map(one, frames))
        (dest / "manifest.json").write_text(json.dumps(manifest, indent=0, sort_keys=True))


def unpack(dest: Path, folders: list[Path]) -> int:
    out = dest / "CamVid"
    bad = 0
    for folder in folders:
        manifest = json.loads((folder / "manifest.json").read_text())
        for annot in folder.glob("*annot"):
            shutil.copytree(annot, out / annot.name, dirs_exist_ok=True)

        def one(item: tuple[str, str]) -> bool:
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
    if sys.argv[1:2] == ["pack"] and len(sys.argv) == 5:
        pack(*map(Path, sys.argv[2:]))
    elif sys.argv[1:2] == ["unpack"] and len(sys.argv) >= 4:
        sys.exit(unpack(Path(sys.argv[2]), [Path(p) for p in sys.argv[3:]]))
    else:
        sys.exit(__doc__)
