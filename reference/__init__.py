"""reference: the torch twin of scratch, class to class, with weights copied both ways."""
from .twin import TWINS, from_torch, load_into_scratch, load_into_torch, to_torch, torch_dtype, torch_module

__all__ = ["TWINS", "from_torch", "load_into_scratch", "load_into_torch", "to_torch", "torch_dtype",
           "torch_module"]
