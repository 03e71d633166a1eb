namespace Backprop.Training;

/// <summary>The loss a classifier trains on.</summary>
public enum LossKind
{
    /// <summary>Cross-entropy: log-softmax then negative log-likelihood (lesson 04).</summary>
    CrossEntropy,

    /// <summary>Mean squared error between the 10 outputs and the one-hot target (lesson 03's loss, on 10 outputs).</summary>
    Mse,
}
