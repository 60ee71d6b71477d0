"""Generators: the protocol, the registry and the built-ins.

Built-ins are registered as lazy ``"module:Class"`` targets, so importing this
package never imports torch-heavy or optional backends. Third-party packages plug
in through the ``vbench_lite.generators`` entry-point group.
"""

from vbench_lite.generators.base import Capabilities, Generator
from vbench_lite.registry import Registry

GENERATORS: Registry = Registry("generator", entry_point_group="vbench_lite.generators")
GENERATORS.register("folder", "vbench_lite.generators.folder:FolderGenerator")
GENERATORS.register("command", "vbench_lite.generators.command:CommandGenerator")
GENERATORS.register("degraded", "vbench_lite.generators.degraded:DegradedGenerator")
GENERATORS.register("simulator", "vbench_lite.generators.simulator:SimulatorGenerator")
GENERATORS.register("reference-dit", "vbench_lite.generators.dit.generator:ReferenceDiTGenerator")
GENERATORS.register("diffusers", "vbench_lite.generators.diffusers_gen:DiffusersGenerator")
# per-family diffusers adapters (vbench_lite.generators.pipelines)
GENERATORS.register("svd", "vbench_lite.generators.pipelines.svd:SVDGenerator")
GENERATORS.register("cogvideox", "vbench_lite.generators.pipelines.cogvideox:CogVideoXGenerator")
GENERATORS.register("ltx-video", "vbench_lite.generators.pipelines.ltx:LTXVideoGenerator")
GENERATORS.register("wan", "vbench_lite.generators.pipelines.wan:WanGenerator")
GENERATORS.register("hunyuanvideo", "vbench_lite.generators.pipelines.hunyuan:HunyuanVideoGenerator")
GENERATORS.register("mochi", "vbench_lite.generators.pipelines.mochi:MochiGenerator")


def create_generator(name: str) -> Generator:
    cls = GENERATORS.get(name)
    return cls()


__all__ = ["Capabilities", "Generator", "GENERATORS", "create_generator"]
