"""A user's own data in a plain folder layout.

::

    <root>/images/NAME.{png,jpg,jpeg,bmp}   RGB images
    <root>/masks/NAME.png                   single-channel masks of class ids, same stems
    <root>/classes.json                     {"names": [...], "ignore_index": 255,
                                             "colors": [[r, g, b], ...]}   (colors optional)
    <root>/splits/{train,val,test}.txt      optional: one stem per line (# comments allowed)

Without ``splits/`` every split is the whole folder. With it, a split needs its file
(``trainval`` is train + val). ``ignore_index`` defaults to 255 and may be ``null`` (no void).
The root is the folder itself (the ``data_root`` argument), not a parent of it.
"""

from __future__ import annotations

import colorsys
import json
from pathlib import Path

from bench.datasets.base import (
    IMAGE_EXTENSIONS,
    PairedFileDataset,
    Transform,
    class_id_values,
    list_files,
    match_pairs,
    require_dir,
)
from bench.datasets.catalog import DatasetSpec
from bench.errors import BadInput

LAYOUT = (
    "<root>/images/*.{png,jpg,jpeg,bmp}, <root>/masks/*.png with the same stems, "
    "<root>/classes.json and optionally <root>/splits/{train,val,test}.txt"
)
DEFAULT_SPLITS = ("train", "val", "test", "trainval", "all")


def default_palette(n: int) -> tuple[tuple[int, int, int], ...]:
    """``n`` distinct colours, hues spread by the golden ratio."""
    colours = []
    for i in range(n):
        r, g, b = colorsys.hsv_to_rgb((i * 0.618033988749895) % 1.0, 0.65, 0.95 - 0.25 * (i % 2))
        colours.append((int(r * 255), int(g * 255), int(b * 255)))
    return tuple(colours)


def load_classes(path: Path, root: Path) -> DatasetSpec:
    """Read and check ``classes.json``; return the dataset's spec (name 'folder')."""
    example = '{"names": ["background", "object"], "ignore_index": 255}'
    if not path.is_file():
        raise BadInput(
            f"class file {path} not found: expected a JSON file like {example} (layout {LAYOUT})"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BadInput(
            f"cannot read class file {path}: {e}; expected JSON like {example}"
        ) from None
    names = data.get("names") if isinstance(data, dict) else None
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        raise BadInput(
            f'class file {path}: expected "names", a non-empty list of class names, as in {example}'
        )
    if len(set(names)) != len(names):
        raise BadInput(f"class file {path}: class names repeat; expected distinct names")
    n = len(names)
    ignore = data.get("ignore_index", 255)
    if ignore is not None and (
        not isinstance(ignore, int) or isinstance(ignore, bool) or not n <= ignore <= 65535
    ):
        raise BadInput(
            f"class file {path}: ignore_index {ignore!r} must be null or an integer "
            f"in {n}..65535 (outside the class ids 0..{n - 1})"
        )
    colors = data.get("colors")
    if colors is None:
        palette = default_palette(n)
    else:
        ok = (
            isinstance(colors, list)
            and len(colors) in (n, n + 1)
            and all(
                isinstance(c, list)
                and len(c) == 3
                and all(isinstance(v, int) and 0 <= v <= 255 for v in c)
                for c in colors
            )
        )
        if not ok:
            raise BadInput(
                f'class file {path}: "colors" must list {n} [r, g, b] triples of '
                f"0..255 (one per class, optionally one more for void)"
            )
        palette = tuple(tuple(c) for c in colors[:n])
    void = tuple(colors[n]) if colors is not None and len(colors) == n + 1 else (0, 0, 0)
    return DatasetSpec(
        "folder",
        f"user folder dataset at {root}",
        tuple(names),
        ignore,
        palette + (void,),
        str(root),
        None,
    )


def read_split_file(path: Path) -> list[str]:
    """Stems listed in a split file, one per line; blank lines and # comments are skipped."""
    stems = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name = Path(line).name
        if Path(name).suffix.lower() in IMAGE_EXTENSIONS:
            name = Path(name).stem
        stems.append(name)
    return stems


class FolderDataset(PairedFileDataset):
    """Images and masks from a folder laid out as in the module docstring."""

    def __init__(
        self,
        data_root: str | Path | None,
        split: str = "train",
        size=None,
        transform: Transform | None = None,
    ):
        if data_root is None:
            raise BadInput(
                f"the folder dataset needs its folder as the data root "
                f"(--data-root DIR): expected {LAYOUT}"
            )
        super().__init__(split, size, transform)
        self.root = Path(data_root)
        require_dir(self.root, LAYOUT)
        self.spec = load_classes(self.root / "classes.json", self.root)
        self.label_values, self.label_expected = class_id_values(self.spec)
        self.validate()

    def _split_stems(self) -> list[str] | None:
        """The stems of this split from splits/, or None when every split is the whole folder."""
        split_dir = self.root / "splits"
        if not split_dir.is_dir():
            if self.split not in DEFAULT_SPLITS:
                raise BadInput(
                    f"unknown split '{self.split}' for folder dataset {self.root}: "
                    f"expected one of {', '.join(DEFAULT_SPLITS)} or a file "
                    f"{split_dir}/{self.split}.txt"
                )
            return None
        parts = ("train", "val") if self.split == "trainval" else (self.split,)
        stems: list[str] = []
        for part in parts:
            path = split_dir / f"{part}.txt"
            if not path.is_file():
                have = sorted(p.stem for p in split_dir.glob("*.txt"))
                raise BadInput(
                    f"split file {path} not found: expected one stem per line "
                    f"(splits available: {', '.join(have) or 'none'})"
                )
            stems += read_split_file(path)
        return stems

    def validate(self) -> None:
        """Folders exist, image and mask stems match, listed split stems exist."""
        image_dir = require_dir(self.root / "images", LAYOUT)
        mask_dir = require_dir(self.root / "masks", LAYOUT)
        pairs = match_pairs(
            list_files(image_dir, IMAGE_EXTENSIONS),
            list_files(mask_dir, (".png",)),
            image_dir,
            mask_dir,
        )
        by_stem = {name: (image, mask) for name, image, mask in pairs}
        stems = self._split_stems()
        if stems is None:
            stems = list(by_stem)
        missing = [s for s in stems if s not in by_stem]
        if missing:
            raise BadInput(
                f"split '{self.split}' of {self.root} lists {len(missing)} stem(s) "
                f"with no image and mask (e.g. {', '.join(missing[:5])}): expected "
                f"stems of files in {image_dir}"
            )
        if not stems:
            raise BadInput(
                f"split '{self.split}' of {self.root} is empty: expected at least one stem"
            )
        self.names = stems
        self.pairs = [by_stem[s] for s in stems]
