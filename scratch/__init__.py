"""scratch: a NumPy-only neural network whose API is named after ``torch.nn`` and ``torch.optim``.

See docs/CONTRACT.md for the conventions: batch-first arrays, torch's weight layout, dtype preserved,
gradients accumulated into ``Parameter.grad``.
"""
from . import init
from .activations import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .recurrent import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .module import Module, Parameter, Sequential  # noqa: F401
from .optim import *  # noqa: F401,F403
from .lr_scheduler import *  # noqa: F401,F403
from .clip_grad import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .embedding import *  # noqa: F401,F403
from . import train  # noqa: F401,E402
