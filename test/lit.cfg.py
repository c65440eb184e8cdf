# lit configuration for the ffc regression tests.
import os
import subprocess

import lit.formats
from lit.llvm import llvm_config

config.name = "FFC"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "Inputs", "lib", "CMakeLists.txt"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.ffc_obj_root, "test")

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.ffc_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

# PyTorch and the onnx Python package import only under Debian's interpreter.
python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else "python3"
config.substitutions.append(("%python", python))
config.substitutions.append(("%ffc_src", config.ffc_src_root))
config.environment["PYTHONPATH"] = os.path.join(config.ffc_src_root, "test", "lib")
# lit runs tests side by side, each with OpenMP kernels (ours and oneDNN's):
# threads that spin while waiting would starve one another on a small machine.
config.environment["OMP_WAIT_POLICY"] = "passive"
# FFRT_ARENA_FILL=nan (runtime/Executor.cpp) reaches the tests: the suite run
# with it checks that no kernel reads an output before writing it.
if "FFRT_ARENA_FILL" in os.environ:
    config.environment["FFRT_ARENA_FILL"] = os.environ["FFRT_ARENA_FILL"]


def python_has(module):
    try:
        return subprocess.run([python, "-c", "import " + module], capture_output=True,
                              timeout=120).returncode == 0
    except Exception:
        return False


if python_has("torch") and python_has("torchvision"):
    config.available_features.add("torch")
if python_has("onnx"):
    config.available_features.add("onnx-python")

if os.path.exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"):
    config.available_features.add("fashion-mnist")

tools = ["ff-opt", "ffc", "ff-zoo", "ff-run", "ffx-dump", "ffrt-gradcheck", "FileCheck", "not", "count",
         "split-file"]
llvm_config.add_tool_substitutions(tools, [config.ffc_tools_dir, config.llvm_tools_dir])
