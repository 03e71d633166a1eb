using static TorchSharp.torch;

namespace Backprop.Training;

/// <summary>The lesson's <c>loss_func</c>s.</summary>
public static class LossFunc
{
    /// <summary>
    /// <c>F.cross_entropy</c>: the mean of −log softmax(preds)[yb] over the batch, from logits <paramref name="preds"/> (N, C)
    /// and class indices <paramref name="yb"/> (N) int64; 0-dim. What the lesson trains with (<c>loss_func = F.cross_entropy</c>).
    /// </summary>
    public static Tensor CrossEntropy(Tensor preds, Tensor yb) => nn.functional.cross_entropy(preds, yb);

    /// <summary>
    /// <c>F.mse_loss(preds, F.one_hot(yb, C).float())</c>: the mean over all N × C entries of the squared difference between
    /// the outputs <paramref name="preds"/> (N, C) and the one-hot target of <paramref name="yb"/> (N) int64; 0-dim.
    /// </summary>
    public static Tensor Mse(Tensor preds, Tensor yb) =>
        nn.functional.mse_loss(preds, nn.functional.one_hot(yb, preds.shape[1]).to(preds.dtype));

    /// <summary>The loss function for a <see cref="LossKind"/>.</summary>
    public static Func<Tensor, Tensor, Tensor> For(LossKind kind) => kind switch
    {
        LossKind.CrossEntropy => CrossEntropy,
        LossKind.Mse => Mse,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no such loss"),
    };
}
