using System.Globalization;
using TorchSharp;
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

/// <summary>The lesson's <c>report(loss, preds, yb)</c>: a batch's loss and accuracy, shown as <c>f'{loss:.2f}, {accuracy:.2f}'</c>.</summary>
/// <param name="Loss">The batch's loss.</param>
/// <param name="Accuracy">The batch's accuracy, 0 to 1.</param>
public sealed record Report(double Loss, double Accuracy)
{
    /// <summary>Reads the report of one batch: <paramref name="loss"/> (0-dim), <paramref name="preds"/> (N, C) and <paramref name="yb"/> (N). Two host reads.</summary>
    public static Report Of(Tensor loss, Tensor preds, Tensor yb)
    {
        using var scope = NewDisposeScope();
        return new Report(loss.ToDouble(), Training.Accuracy.Of(preds, yb).ToDouble());
    }

    /// <summary>The lesson's line, e.g. <c>0.12, 0.98</c> (invariant culture).</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Loss:F2}, {Accuracy:F2}");
}
