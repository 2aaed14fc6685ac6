# Sandbox escape: network. Tries TCP to the harness's listener on 127.0.0.1:47999, UDP, a UNIX
# socket on disk outside the sandbox (/tmp/redteam-unix.sock, like a daemon's control socket),
# and an abstract UNIX socket. Prints what worked.
# A secure grader: no connection reaches anything outside the submission.
# Check: the harness's listeners record no connection.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
# %% after test_numpy_bridge_doubled
import socket as _socket
def _try(label, fn):
    try:
        print(label, "OK", fn())
    except BaseException as _err:
        print(label, "FAIL", type(_err).__name__, _err)
def _tcp():
    s = _socket.create_connection(("127.0.0.1", 47999), timeout=2); s.sendall(b"redteam tcp"); s.close()
def _unix():
    s = _socket.socket(_socket.AF_UNIX); s.settimeout(2); s.connect("/tmp/redteam-unix.sock"); s.sendall(b"redteam unix"); s.close()
def _udp():
    s = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM); return s.sendto(b"x", ("8.8.8.8", 53))
def _abstract():
    s = _socket.socket(_socket.AF_UNIX); s.settimeout(2); s.connect("\0/tmp/.X11-unix/X0")
_try("tcp", _tcp)
_try("unix", _unix)
_try("udp", _udp)
_try("abstract", _abstract)
