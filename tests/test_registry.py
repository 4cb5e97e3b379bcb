import pytest
import torch

import models
from models.registry import Capabilities, UnknownSystemError, register

DEEP = sorted(
    [
        "deeplabv3plus",
        "enet",
        "pspnet",
        "segnet",
        "unet",
        "erfnet",
        "espnetc",
        "cgnet",
        "contextnet",
        "fastscnn",
        "lednet",
        "dabnet",
        "edanet",
        "fpenet",
        "esnet",
        "sqnet",
        "frrn",
        "segformer",
        "lraspp",
        "maskrcnn",
    ]
)


def test_every_deep_model_is_registered_with_metadata():
    infos = {s.name: s for s in models.list_systems(kind="model")}
    assert sorted(infos) == DEEP
    for info in infos.values():
        assert info.kind == "model"
        assert info.description and info.paper and info.notes
        assert info.input_divisor >= 1
        assert isinstance(info.capabilities, Capabilities)
    assert infos["enet"].input_divisor == 8
    assert infos["deeplabv3plus"].input_divisor == 16
    assert infos["segnet"].input_divisor == 1 and infos["segnet"].min_size == 32
    assert "1606.02147" in infos["enet"].paper


def test_listing_is_sorted_by_kind_then_name():
    names = models.system_names()
    kinds = [models.get_system(n).kind for n in names]
    assert kinds == sorted(kinds, key=("model", "classical").index)
    assert models.system_names("model") == DEEP


def test_unknown_name_lists_known_names():
    with pytest.raises(UnknownSystemError) as err:
        models.create_model("enett", 11)
    message = str(err.value)
    assert "unknown system 'enett'" in message
    assert "Did you mean 'enet'" in message
    for name in DEEP:
        assert name in message


def test_create_model_builds_the_right_class_count():
    model = models.create_model("enet", 5)
    assert isinstance(model, torch.nn.Module)
    with torch.inference_mode():
        assert model.eval()(torch.zeros(1, 3, 32, 32)).shape == (1, 5, 32, 32)


@pytest.mark.parametrize("bad", [0, -3, 2.5, "11"])
def test_create_model_rejects_bad_class_counts(bad):
    with pytest.raises(ValueError, match="num_classes"):
        models.create_model("enet", bad)


def test_registering_twice_or_badly_fails():
    with pytest.raises(ValueError, match="registered twice"):
        register("enet", kind="model", description="d", paper="p")(lambda n: None)
    with pytest.raises(ValueError, match="kind"):
        register("newthing", kind="gadget", description="d", paper="p")
    with pytest.raises(ValueError, match="lower case"):
        register("ENet2", kind="model", description="d", paper="p")


def test_builder_kwargs_reach_smp():
    model = models.create_model("pspnet", 11, encoder="resnet18")
    assert sum(p.numel() for p in model.parameters()) < 20e6


def test_every_system_has_a_family_and_a_bad_family_is_refused():
    from bench.systems import list_systems
    from models.registry import FAMILIES

    families = {s.name: s.family for s in list_systems()}
    assert set(families.values()) <= set(FAMILIES)
    assert families["enet"] == "real-time" and families["segnet"] == "heavy"
    assert families["otsu"] == "classical"
    with pytest.raises(ValueError, match="family must be one of"):
        register("x-bad-family", kind="model", description="", paper="", family="fast")
