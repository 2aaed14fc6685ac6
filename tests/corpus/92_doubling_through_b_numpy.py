# Exercise 4 doubled through NumPy on b's memory (np.multiply(b.numpy(), 2, out=b.numpy())): the
# lesson asks for a tensor operation on b in place (mul_), the theme being what torch's in-place
# operations do to the array; the doubling point is lost, and the message names both ways a
# NumPy doubling is written (a *= 2, or through b.numpy()) instead of quoting code the student
# did not write.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: type=1 memory=2 doubled=0
# expect-code test_numpy_bridge_doubled: numpy_bridge.doubled_a_directly
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
np.multiply(b.numpy(), 2, out=b.numpy())
