# Right everywhere; the products have a sparse factor, as a student who read about torch.sparse
# tries them: exercise 2 with torch.sparse.mm(weights.to_sparse(), features.T) (a (1, 5) times
# a (5, 1) matrix, the same number), exercise 3 with torch.sparse.addmm and Tensor.smm. The
# trace knew torch.mm and torch.spmm (both "mm" to it) but not the names torch.sparse.mm,
# torch.sparse.addmm, smm, hspmm and sspaddmm reach it by (_sparse_mm, _sparse_addmm...): in
# the fresh run the product was not scaled, so exercise 2 lost its method point, "not computed
# with a matrix multiplication" (14 of 15, both graders). They are matrix products now, the
# added argument of the addmm forms aside.
# expect single_layer_sum: full
# expect single_layer_mm: full
# expect multilayer: full
# expect numpy_bridge: full
# %% single_layer_sum
y = activation(torch.sum(features * weights) + bias)
# %% single_layer_mm
y = activation(torch.sparse.mm(weights.to_sparse(), features.T) + bias)
# %% multilayer
h = activation(torch.sparse.addmm(B1, features.to_sparse(), W1))
output = activation(h.to_sparse().smm(W2).to_dense() + B2)
# %% numpy_bridge
b = torch.from_numpy(a)
b.mul_(2)
