# Right everywhere: exercise 1's cell under %%capture, a matplotlib plot of the activation in a
# scratch cell, and torch.sigmoid instead of the given activation in exercise 3. Every point
# stands (%%capture hides the output only; the plot starts no thread).
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
%%capture out
y = activation(torch.sum(features * weights) + bias)
print(y)
# %% after given_shape_error
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

xs = torch.linspace(-5, 5, 50)
plt.plot(xs, activation(xs))
plt.show()
# %% single_layer_mm
y = activation(torch.mm(features, weights.view(5, 1)) + bias)
# %% multilayer
h = torch.sigmoid(features @ W1 + B1)
output = torch.sigmoid(h @ W2 + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
