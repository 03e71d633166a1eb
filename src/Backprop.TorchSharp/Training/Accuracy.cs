using static TorchSharp.torch;

namespace Backprop.Training;

/// <summary>The lesson's <c>accuracy(out, yb)</c>: how often the largest logit is the target.</summary>
public static class Accuracy
{
    /// <summary>The fraction of rows of <paramref name="preds"/> (N, C) whose arg-max is <paramref name="yb"/> (N): 0-dim float32.</summary>
    public static Tensor Of(Tensor preds, Tensor yb) => preds.argmax(1).eq(yb).to_type(ScalarType.Float32).mean();

    /// <summary>The number of rows of <paramref name="preds"/> (N, C) whose arg-max is <paramref name="yb"/> (N): 0-dim int64, on their device (what validation sums without a host read).</summary>
    public static Tensor Correct(Tensor preds, Tensor yb) => preds.argmax(1).eq(yb).sum();
}
