using TorchSharp;
using static TorchSharp.torch;

namespace Backprop.Data;

/// <summary>What a loaded MNIST holds: where it came from and, per split, shapes, pixel range and label counts.</summary>
/// <param name="Source">The folder of IDX files or the pickle file it was loaded from.</param>
/// <param name="Splits">train, valid, test.</param>
public sealed record MnistInfo(string Source, IReadOnlyList<MnistSplitInfo> Splits)
{
    /// <summary>Summarizes <paramref name="mnist"/>.</summary>
    public static MnistInfo Of(Mnist mnist)
    {
        ArgumentNullException.ThrowIfNull(mnist);
        using var scope = NewDisposeScope();
        return new MnistInfo(mnist.Source,
        [
            Split("train", mnist.XTrain, mnist.YTrain),
            Split("valid", mnist.XValid, mnist.YValid),
            Split("test", mnist.XTest, mnist.YTest),
        ]);
    }

    private static MnistSplitInfo Split(string name, Tensor x, Tensor y) => new(
        name, x.shape, x.dtype.ToString(), y.shape, y.dtype.ToString(), x.min().item<float>(), x.max().item<float>(),
        y.bincount(null, 10).data<long>().ToArray());
}
