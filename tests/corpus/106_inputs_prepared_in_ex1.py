# Exercise 1 works in double precision and keeps what it made from the inputs for later: float64
# copies of features, weights and bias, and weights as a (5, 1) column (a copy). Exercise 2 then
# multiplies those: torch.mm of the float64 copies, cast back to float32, and a check with the
# column. A real matrix product of features and weights made from tensors an earlier exercise
# derived from them: every point stands (before the fix the method point was lost, "not
# computed from weights by torch operations": the trace forgot what exercise 1's tensors came
# from when exercise 2 began, though both exercises share the data cell).
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
f64, w64, b64 = features.double(), weights.double(), bias.double()
w_col = weights.reshape(5, 1).clone()
y = activation(torch.sum(f64 * w64) + b64).float()
# %% single_layer_mm
y = activation(torch.mm(f64, w64.view(5, 1)) + b64).float()
print("same with the column:", torch.allclose(y, activation(torch.mm(features, w_col) + bias)))
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
