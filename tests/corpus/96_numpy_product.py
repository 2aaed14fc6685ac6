# Exercises 2 and 3 multiplied with NumPy's @ on the tensors' arrays and turned back with
# torch.from_numpy. Exercise 3 asks for no particular function: full marks. Exercise 2 asks for
# torch.mm (or torch.matmul / @) and the grader follows torch's operations only, so its method
# point is lost; the message says the product was not made by torch (it used to say "a sum of
# products, say", which this student did not write).
# expect single_layer_sum: full
# expect single_layer_mm: shape=1 value=2 method=0
# expect multilayer: full
# expect numpy_bridge: full
# expect-code test_single_layer_mm_method: single_layer_mm.no_matrix_product
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.from_numpy(features.numpy() @ weights.numpy().T) + bias)
# %% multilayer
h = activation(torch.from_numpy(features.numpy() @ W1.numpy()) + B1)
output = activation(torch.from_numpy(h.numpy() @ W2.numpy()) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
