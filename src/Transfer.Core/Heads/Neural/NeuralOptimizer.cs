namespace Transfer.Heads.Neural;

/// <summary>The update rule a neural head trains with.</summary>
public enum NeuralOptimizer
{
    /// <summary>Mini-batch stochastic gradient descent with (PyTorch-style) momentum; weight decay is added to the gradient (L2).</summary>
    Sgd,

    /// <summary>Adam (Kingma and Ba); weight decay is added to the gradient (L2), as in Keras and PyTorch <c>Adam</c>.</summary>
    Adam,

    /// <summary>AdamW (Loshchilov and Hutter): Adam with weight decay decoupled from the gradient.</summary>
    AdamW,
}
