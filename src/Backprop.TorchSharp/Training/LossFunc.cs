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
}
