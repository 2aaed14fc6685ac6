#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu). It installs
# the grading environment into a venv, @VENV@ (`graders gradescope --venv PATH` sets it when the
# zip is built; GRADERS_VENV in the environment overrides it, for a try-out on another machine);
# run_autograder puts that venv first on PATH. Needs root (apt) and the network (apt, PyPI and
# PyTorch's CPU index). Made by `graders gradescope @ASSIGNMENT@`: edit the course, not this file.
set -euo pipefail
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"   # the zip's contents (/autograder/source)
VENV="${GRADERS_VENV:-@VENV@}"
export DEBIAN_FRONTEND=noninteractive

apt-get update -qq
# The sandbox compiles its seccomp filters with libseccomp (pyseccomp loads libseccomp.so.2).
apt-get install -y -qq --no-install-recommends libseccomp2 ca-certificates

# Python @PYTHON@ (the package requires it), in a venv. If the image has no python@PYTHON@ with
# venv support: apt (Ubuntu 22.04 has it), else the deadsnakes archive (other Ubuntu releases).
if ! python@PYTHON@ -m venv "$VENV" 2>/dev/null; then
  if ! apt-get install -y -qq --no-install-recommends python@PYTHON@ python@PYTHON@-venv; then
    apt-get install -y -qq --no-install-recommends software-properties-common gpg-agent
    add-apt-repository -y ppa:deadsnakes/ppa
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends python@PYTHON@ python@PYTHON@-venv
  fi
  python@PYTHON@ -m venv --clear "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
# torch first, from PyTorch's CPU-only index: PyPI's build of the same version pulls in
# gigabytes of CUDA libraries that a grader without a GPU never uses.
"$VENV/bin/python" -m pip install --quiet "@TORCH_PIN@" --index-url https://download.pytorch.org/whl/cpu
# This package and the rest of its dependencies (nbgrader, jupyter, pyseccomp...) from PyPI; the
# CPU index stays as an extra index so torch, already there, is never swapped for a CUDA build.
"$VENV/bin/python" -m pip install --quiet "$SOURCE/package" "@TORCH_PIN@" \
  --extra-index-url https://download.pytorch.org/whl/cpu

# Fail the image build now, not at the first submission, if something is missing.
"$VENV/bin/python" - <<'PY'
import ctypes.util

import nbgrader
import torch

import graders.gradescope.run  # noqa: F401

assert torch.version.cuda is None, f"torch {torch.__version__} is a CUDA build"
assert ctypes.util.find_library("seccomp"), "libseccomp is missing"
print(f"grading environment ready: torch {torch.__version__}, nbgrader {nbgrader.__version__}")
PY

# The course secret that keys the grader's fresh inputs: made here, once per image, so a
# regrade on Gradescope uses the same inputs; never in the zip.
"$VENV/bin/python" -c "import sys; from graders.checks.run_plan import course_secret; course_secret(sys.argv[1])" \
  "$SOURCE/course"
