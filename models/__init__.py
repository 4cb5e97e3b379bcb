"""Deep segmentation models and the registry of every system (deep and classical).

Importing this package registers the deep models; ``classical`` registers its methods.
"""

from models import deeplabv3plus, efficient, enet, frrn, maskrcnn, pspnet, realtime, segnet, unet  # noqa: F401,E402  (registers the builders)
from models.registry import (  # noqa: F401
    Capabilities,
    SystemInfo,
    UnknownSystemError,
    create_model,
    get_system,
    list_systems,
    register,
    register_classical,
    register_model,
    system_names,
)
from models.wrappers import AnySize, any_size  # noqa: F401,E402
