# Typed in the values the lesson prints instead of computing them (exercises 1 to 3).
# expect single_layer_sum: zero
# expect single_layer_mm: zero
# expect multilayer: zero
# expect numpy_bridge: full
# expect-code test_single_layer_sum_value: single_layer_sum.typed_in
# %% single_layer_sum
y = torch.tensor([[0.1595]])
# %% single_layer_mm
y = torch.tensor([[0.15950656]])
# %% multilayer
h = torch.tensor([[0.6813, 0.4355]])
output = torch.tensor([[0.3171]])
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
