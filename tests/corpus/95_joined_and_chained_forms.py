# Right everywhere, in forms no other entry has: exercise 1 as a trace of the outer product
# (features.T @ weights), exercise 2 with the bias joined to features and a column of ones to
# weights (the bias then stays out of the grader's scaled operand), exercise 3 with in-place
# add_ and sigmoid_ on the products, exercise 4 with torch.frombuffer on a's memory and each row
# doubled in place in a loop.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.trace(features.T @ weights) + bias)
# %% single_layer_mm
y = activation(torch.mm(torch.cat([features, bias], 1),
                        torch.cat([weights, torch.ones(1, 1)], 1).T))
# %% multilayer
h = features @ W1
h.add_(B1).sigmoid_()
output = (h @ W2).add_(B2).sigmoid_()
# %% numpy_bridge
b = torch.frombuffer(a, dtype=torch.float64).view(4, 3)
for row in b:
    row.mul_(2)
