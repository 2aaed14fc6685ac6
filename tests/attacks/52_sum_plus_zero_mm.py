# Exercise 2 computed as a sum of products, with a matrix product of features and weights
# added times zero (so a trace of torch calls sees one), and a pass counter: from the second
# run of the cell on, y comes from the product (a grader that re-runs the cells to check the
# product changes y would see it change).
# A secure grader does not give the method point (the answer it reads is a sum of products);
# this one gives exercise 2 nothing: run twice on the same inputs, the cell gives two different
# answers (the second time through the grader's scaled product), so y does not follow the
# inputs (`single_layer_mm.random`).
# expect single_layer_sum: full
# expect single_layer_mm: zero
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
passes = []
# %% single_layer_mm
passes.append(1)
product = torch.mm(features, weights.view(5, 1))
if len(passes) > 1:
    y = activation(product + bias)
else:
    y = activation(torch.sum(features * weights) + bias + 0 * product)
# %% multilayer
h = activation(torch.mm(features, W1) + B1)
output = activation(torch.mm(h, W2) + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
